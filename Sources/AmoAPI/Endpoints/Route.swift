/// Which endpoint of API v4 a request is for: how a server (the fake amoCRM) reads the paths
/// `Endpoints` writes, so both sides know them from one place.
package enum Route: Sendable, Equatable {
    case account
    case users
    case pipelines
    case customFields(CustomField.Entity)
    case createCustomFields(CustomField.Entity)
    /// `GET /api/v4/{leads|contacts}` (search, filters, pages)
    case list(CustomField.Entity)
    case get(CustomField.Entity, id: Int)
    case create(CustomField.Entity)
    case update(CustomField.Entity)
    case complex
    case notes(lead: Int)
    case createNotes
    case webhooks
    case createWebhook
    case deleteWebhook
    case events
    case createUnsortedForms
    case catalogs
    case catalogElements(catalog: Int)
    case createCatalogElements(catalog: Int)
    case linkLeads
    case unlinkLeads
    case createTasks
    case tasks
    case catalogFields(catalog: Int)
    case unsorted
    case acceptUnsorted(uid: String)
    case declineUnsorted(uid: String)

    /// The route of `method path`, nil for a path API v4 does not have (404).
    package init?(method: String, path: String) {
        guard path.hasPrefix(AmoPath.v4 + "/") else { return nil }
        let parts = path.dropFirst(AmoPath.v4.count + 1).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let entity = CustomField.Entity(rawValue: parts[0])
        switch (method, parts.count) {
        case ("GET", 1) where parts[0] == "account": self = .account
        case ("GET", 1) where parts[0] == "users": self = .users
        case ("GET", 1) where parts[0] == "webhooks": self = .webhooks
        case ("POST", 1) where parts[0] == "webhooks": self = .createWebhook
        case ("DELETE", 1) where parts[0] == "webhooks": self = .deleteWebhook
        case ("GET", 1) where parts[0] == "events": self = .events
        case ("GET", 1) where parts[0] == "catalogs": self = .catalogs
        case ("POST", 1) where parts[0] == "tasks": self = .createTasks
        case ("GET", 1) where parts[0] == "tasks": self = .tasks
        case ("GET", 1) where entity != nil: self = .list(entity!)
        case ("POST", 1) where entity != nil: self = .create(entity!)
        case ("PATCH", 1) where entity != nil: self = .update(entity!)
        case ("GET", 2) where parts == ["leads", "pipelines"]: self = .pipelines
        case ("POST", 2) where parts == ["leads", "complex"]: self = .complex
        case ("POST", 2) where parts == ["leads", "notes"]: self = .createNotes
        case ("POST", 2) where parts == ["leads", "link"]: self = .linkLeads
        case ("POST", 2) where parts == ["leads", "unlink"]: self = .unlinkLeads
        case ("GET", 2) where parts == ["leads", "unsorted"]: self = .unsorted
        case ("GET", 2) where entity != nil && parts[1] == "custom_fields": self = .customFields(entity!)
        case ("POST", 2) where entity != nil && parts[1] == "custom_fields": self = .createCustomFields(entity!)
        case ("GET", 2) where entity != nil && Int(parts[1]) != nil: self = .get(entity!, id: Int(parts[1])!)
        case ("GET", 3) where parts[0] == "leads" && Int(parts[1]) != nil && parts[2] == "notes": self = .notes(lead: Int(parts[1])!)
        case ("POST", 3) where parts == ["leads", "unsorted", "forms"]: self = .createUnsortedForms
        case ("POST", 4) where parts[0] == "leads" && parts[1] == "unsorted" && parts[3] == "accept": self = .acceptUnsorted(uid: parts[2])
        case ("DELETE", 4) where parts[0] == "leads" && parts[1] == "unsorted" && parts[3] == "decline":
            self = .declineUnsorted(uid: parts[2])
        case ("GET", 3) where parts[0] == "catalogs" && Int(parts[1]) != nil && parts[2] == "custom_fields":
            self = .catalogFields(catalog: Int(parts[1])!)
        case ("GET", 3) where parts[0] == "catalogs" && Int(parts[1]) != nil && parts[2] == "elements":
            self = .catalogElements(catalog: Int(parts[1])!)
        case ("POST", 3) where parts[0] == "catalogs" && Int(parts[1]) != nil && parts[2] == "elements":
            self = .createCatalogElements(catalog: Int(parts[1])!)
        default: return nil
        }
    }
}
