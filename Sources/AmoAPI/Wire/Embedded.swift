import Foundation

/// An entity amoCRM lists under `_embedded.<key>` in its HAL answers.
package protocol Listed: Codable, Sendable {
    /// `leads`, `contacts`, `notes`, `custom_fields` …
    static var embeddedKey: String { get }
}

/// A key of any name (`_embedded`'s entity key).
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// A HAL list: `{"_page": 1, "_links": {"next": …}, "_embedded": {"<key>": [ … ]}}`. Every
/// `_embedded` of a list answer is read here, and nowhere else.
package struct Page<Item: Listed>: Codable, Sendable {
    package var items: [Item]
    package var page: Int?
    /// amoCRM names a next page (`_links.next`).
    package var hasNext: Bool

    package init(items: [Item], page: Int? = nil, hasNext: Bool = false) {
        self.items = items
        self.page = page
        self.hasNext = hasNext
    }

    enum CodingKeys: String, CodingKey {
        case page = "_page", links = "_links", embedded = "_embedded", total = "_total_items"
    }

    struct Links: Codable {
        struct Link: Codable { var href: String }
        var next: Link?
        var `self`: Link?
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        page = try container.decodeIfPresent(Int.self, forKey: .page)
        hasNext = try container.decodeIfPresent(Links.self, forKey: .links)?.next != nil
        let embedded = try container.nestedContainer(keyedBy: AnyKey.self, forKey: .embedded)
        items = try embedded.decodeIfPresent([Item].self, forKey: AnyKey(Item.embeddedKey)) ?? []
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(page, forKey: .page)
        try container.encode(items.count, forKey: .total)
        if hasNext, let page {
            try container.encode(Links(next: .init(href: "?page=\(page + 1)"), self: .init(href: "?page=\(page)")), forKey: .links)
        }
        var embedded = container.nestedContainer(keyedBy: AnyKey.self, forKey: .embedded)
        try embedded.encode(items, forKey: AnyKey(Item.embeddedKey))
    }
}

/// Tags, embedded contacts and companies of a lead or contact as amoCRM writes them.
package struct EntityLinks: Codable, Sendable, Equatable {
    package struct Ref: Codable, Sendable, Equatable {
        package var id: Int
        package var isMain: Bool?
        package init(id: Int, isMain: Bool? = nil) {
            self.id = id
            self.isMain = isMain
        }
        enum CodingKeys: String, CodingKey { case id, isMain = "is_main" }
    }
    package struct Tag: Codable, Sendable, Equatable {
        package var id: Int?
        package var name: String?
        package init(name: String) { self.name = name }
    }
    package var tags: [Tag]?
    package var contacts: [Ref]?
    package var companies: [Ref]?

    package init(tags: [Tag]? = nil, contacts: [Ref]? = nil, companies: [Ref]? = nil) {
        self.tags = tags
        self.contacts = contacts
        self.companies = companies
    }
}
