/// An answer to a batch write that does not fit the request: not believed, and the request is
/// taken as maybe applied (its step looks before writing again).
package struct AnswerMismatch: Error, Sendable, CustomStringConvertible {
    package var reason: String
    package init(_ reason: String) { self.reason = reason }
    package var description: String { "amoCRM's answer does not fit the request: \(reason)" }
}

/// Sorts the items of a batch write's answer back to the entries sent (`request_id` = the
/// entry's index), checking what can be checked: every id positive, no id given to two
/// entries (unless amoCRM says it merged them into one existing lead), every `request_id`
/// one that was sent, none answered twice.
package enum BatchAnswer {
    package static func sort<Item>(
        _ items: [Item], sent: Int, id: (Item) -> Int?, requestIDs: (Item) -> [String], shared: (Item) -> Bool = { _ in false }
    ) throws(AnswerMismatch) -> [Int: Item] {
        var result: [Int: Item] = [:]
        var owners: [Int: Bool] = [:]  // id → shared
        for item in items {
            guard let id = id(item) else { throw AnswerMismatch("an item without an id") }
            guard id > 0 else { throw AnswerMismatch("id \(id) is not a valid id") }
            let isShared = shared(item)
            if let earlier = owners[id], !(earlier && isShared) { throw AnswerMismatch("id \(id) is given to two entries") }
            owners[id] = isShared
            let indices = requestIDs(item)
            guard !indices.isEmpty else { throw AnswerMismatch("id \(id) answers no request_id") }
            for text in indices {
                guard let index = Int(text), (0..<sent).contains(index) else {
                    throw AnswerMismatch("request_id \(text.prefix(20)) was not sent")
                }
                guard result.updateValue(item, forKey: index) == nil else { throw AnswerMismatch("request_id \(index) is answered twice") }
            }
        }
        return result
    }

    /// A HAL batch answer (contacts, notes, leads PATCH …).
    package static func sort<Item: Listed>(
        _ page: Page<Item>, sent: Int, id: (Item) -> Int?, requestID: (Item) -> String?
    )
        throws(AnswerMismatch) -> [Int: Item]
    {
        try sort(page.items, sent: sent, id: id, requestIDs: { requestID($0).map { [$0] } ?? [] })
    }

    /// The answer of `leads/complex`: contact ids checked too.
    package static func sort(_ results: [ComplexResult], sent: Int) throws(AnswerMismatch) -> [Int: ComplexResult] {
        for result in results {
            if let contact = result.contactID, contact <= 0 { throw AnswerMismatch("contact id \(contact) is not a valid id") }
        }
        return try sort(results, sent: sent, id: \.id, requestIDs: \.requestID.values, shared: \.merged)
    }
}
