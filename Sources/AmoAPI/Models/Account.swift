/// The account (`GET /api/v4/account`).
package struct Account: Codable, Sendable, Equatable {
    package var id: Int
    package var name: String?
    package var subdomain: String?
    package var currentUserID: Int?
    package var country: String?
    package var currency: String?
    package var isUnsortedOn: Bool?

    package init(id: Int, name: String, subdomain: String, currentUserID: Int, country: String, currency: String, isUnsortedOn: Bool) {
        self.id = id
        self.name = name
        self.subdomain = subdomain
        self.currentUserID = currentUserID
        self.country = country
        self.currency = currency
        self.isUnsortedOn = isUnsortedOn
    }

    enum CodingKeys: String, CodingKey {
        case id, name, subdomain, currentUserID = "current_user_id", country, currency, isUnsortedOn = "is_unsorted_on"
    }
}

/// A user of the account (`GET /api/v4/users`).
package struct User: Listed, Equatable {
    package static let embeddedKey = "users"
    package var id: Int
    package var name: String?
    package var email: String?

    package init(id: Int, name: String?) {
        self.id = id
        self.name = name
    }
}
