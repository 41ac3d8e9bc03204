/// Reading platform payloads, where blank strings mean "not given".
enum WebhookText {
    /// The trimmed text of `object[key]`, nil when missing or blank.
    static func field(_ object: [String: JSONValue], _ key: String) -> String? {
        object[key]?.textValue.flatMap { $0.trimmed.isEmpty ? nil : $0.trimmed }
    }

    /// Our `address` object from a platform's: `fields` maps our key → theirs; the street is
    /// their `streetLines` joined.
    static func address(_ place: [String: JSONValue], fields: [(ours: String, theirs: String)], streetLines: [String]) -> [String: JSONValue] {
        var address: [String: JSONValue] = [:]
        for (ours, theirs) in fields {
            if let value = field(place, theirs) { address[ours] = .string(value) }
        }
        let street = streetLines.compactMap { field(place, $0) }.joined(separator: ", ")
        if !street.isEmpty { address["street"] = .string(street) }
        return address
    }
}
