/// The account (`GET /api/v4/account`).
package struct Account: Codable, Sendable, Equatable {
    package var id: Int
    package var name: String?
    package var subdomain: String?
    package var currentUserID: Int?
    package var country: String?
    package var currency: String?
    package var isUnsortedOn: Bool?
    /// With `with=task_types`: the account's task types.
    package var embedded: Embedded?

    package struct Embedded: Codable, Sendable, Equatable {
        package var taskTypes: [TaskType]?
        package init(taskTypes: [TaskType]?) { self.taskTypes = taskTypes }
        enum CodingKeys: String, CodingKey { case taskTypes = "task_types" }
    }

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
        case embedded = "_embedded"
    }
}

/// A type of task (`1` follow-up, `2` meeting, and the account's own).
package struct TaskType: Codable, Sendable, Equatable {
    package var id: Int
    package var name: String?
    package var code: String?
    package init(id: Int, name: String?, code: String?) {
        self.id = id
        self.name = name
        self.code = code
    }
}

/// A user of the account (`GET /api/v4/users`).
package struct User: Listed, Equatable {
    package static let embeddedKey = "users"
    package var id: Int
    package var name: String?
    package var email: String?
    package var rights: Rights?

    /// What the user may do; `is_active` false: a user who left (no new leads for them).
    package struct Rights: Codable, Sendable, Equatable {
        package var isActive: Bool?
        package var isAdmin: Bool?
        package init(isActive: Bool?, isAdmin: Bool? = nil) {
            self.isActive = isActive
            self.isAdmin = isAdmin
        }
        enum CodingKeys: String, CodingKey { case isActive = "is_active", isAdmin = "is_admin" }
    }

    package init(id: Int, name: String?, rights: Rights? = nil) {
        self.id = id
        self.name = name
        self.rights = rights
    }

    /// Users count as active unless amoCRM says otherwise.
    package var isActive: Bool { rights?.isActive ?? true }
}
