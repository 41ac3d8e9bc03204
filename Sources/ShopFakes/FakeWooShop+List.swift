import AmoSyncCore
import Foundation

/// `GET /wp-json/wc/v3/orders` as WooCommerce pages it: `per_page` 1…100 (400 otherwise),
/// `page`, `modified_after` (ISO 8601, GMT with `dates_are_gmt`), `include` (ids), `orderby`,
/// `order`, WordPress's `_fields` (only those keys), and the totals in `X-WP-Total` and
/// `X-WP-TotalPages`.
extension FakeWooShop {
    func list(_ query: [String: String]) -> (status: Int, body: JSONValue, headers: [String: String]) {
        let perPage = Int(query["per_page"] ?? "10") ?? 0
        guard (1...100).contains(perPage) else {
            return (400, Self.invalid("per_page", "per_page must be between 1 (inclusive) and 100 (inclusive)"), [:])
        }
        guard let page = Int(query["page"] ?? "1"), page >= 1 else {
            return (400, Self.invalid("page", "page must be greater than 0"), [:])
        }
        let orderBy = query["orderby"] ?? "date"
        guard ["date", "id", "modified", "include", "title", "slug"].contains(orderBy) else {
            return (400, Self.invalid("orderby", "orderby is not one of date, id, include, title, slug, modified."), [:])
        }
        var after: String?
        if let text = query["modified_after"], !ignoresModifiedAfter {
            guard let date = WooCommerceAdapter.gmtDate(text) else {
                return (400, Self.invalid("modified_after", "Invalid date."), [:])
            }
            after = Self.timestamp(date)
        }
        counts.listRequests += 1
        let key = orderBy == "modified" ? "date_modified_gmt" : "date_created_gmt"
        let include = ignoresInclude ? nil : query["include"].map { Set($0.split(separator: ",").compactMap { Int($0) }) }
        // Each order's sort key read once (not in every comparison): a shop of 10,000 orders pages quickly.
        var keyed = orders.compactMap { id, order -> (key: String, id: Int, order: JSONValue)? in
            if let include, !include.contains(id) { return nil }
            if let after, (order["date_modified_gmt"]?.stringValue ?? "") <= after { return nil }
            return (order[key]?.stringValue ?? "", id, order)
        }
        keyed.sort { $0.key == $1.key ? $0.id < $1.id : $0.key < $1.key }
        var matching = keyed.map(\.order)
        if query["order"] ?? "desc" == "desc" { matching.reverse() }
        let pages = (matching.count + perPage - 1) / perPage
        var slice = Array(matching.dropFirst((page - 1) * perPage).prefix(perPage))
        if let fields = query["_fields"].map({ Set($0.split(separator: ",").map(String.init)) }) {
            slice = slice.map { order in .object((order.objectValue ?? [:]).filter { fields.contains($0.key) }) }
        }
        return (200, .array(slice), ["X-WP-Total": "\(matching.count)", "X-WP-TotalPages": "\(pages)"])
    }

    /// Makes order lists wait (a shop slow to list) until `releaseLists()`; `listsWaiting` says
    /// how many wait now.
    package func holdLists() { listsHeld = true }

    package func releaseLists() {
        listsHeld = false
        let waiting = listWaiters
        listWaiters = []
        waiting.forEach { $0.resume() }
    }

    package var listsWaiting: Int { listWaiters.count }

    /// Where a list request waits while lists are held.
    package func passListGate() async {
        guard listsHeld else { return }
        await withCheckedContinuation { listWaiters.append($0) }
    }

    /// Orders placed while nobody listened (no webhook), last modified at `date`.
    @discardableResult
    package func seed(_ count: Int, modifiedAt date: Date) -> [Int] {
        (0..<count).map { index in
            nextOrder += 1
            orders[nextOrder] = Self.order(
                id: nextOrder, name: "Customer \(nextOrder)", phone: "+7 9\(String(format: "%09d", nextOrder))",
                email: "c\(nextOrder)@example.org", status: index % 3 == 0 ? "completed" : "processing", at: date)
            return nextOrder
        }
    }

    static func invalid(_ param: String, _ message: String) -> JSONValue {
        [
            "code": "rest_invalid_param", "message": .string("Invalid parameter(s): \(param)"),
            "data": ["status": 400, "params": .object([param: .string(message)])],
        ]
    }
}
