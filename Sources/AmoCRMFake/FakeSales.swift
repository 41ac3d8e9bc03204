import AmoAPI
import Foundation

/// What the fake account holds besides leads and contacts: incoming leads, tasks, lists (with
/// their elements) and the links of leads to elements.
struct FakeSales: Sendable {
    var incoming: [String: FakeIncoming] = [:]
    var tasks: [Int: FakeTask] = [:]
    /// The account's task types: the two standard ones and one of its own.
    var taskTypes: [(id: Int, name: String, code: String?)] = [
        (1, "Связаться", "FOLLOW_UP"), (2, "Встреча", "MEETING"), (3012, "Отправить КП", nil),
    ]
    var catalogs: [FakeCatalog] = [FakeCatalog.products(id: 4255)]
    var elements: [Int: FakeElement] = [:]
    /// lead → element → link.
    var links: [Int: [Int: FakeLink]] = [:]
    /// false: a plan without lists (402 on every list request).
    var listsAvailable = true
    /// false: the integration's user may not see lists (403).
    var listsAllowed = true

    /// amoCRM keeps at most 10 lists in an account.
    static let catalogLimit = 10
}

/// An incoming lead (Неразобранное) of the form category.
struct FakeIncoming: Sendable {
    enum State: String, Sendable { case open, accepted, declined }
    var uid: String
    var sourceUID: String
    var sourceName: String
    var pipelineID: Int
    var createdAt: Int
    var metadata: FormMetadata
    var leadID: Int
    var contactID: Int?
    /// The contact was created with the incoming lead (hidden until it is accepted).
    var newContact: Bool
    var state = State.open

    var model: UnsortedForm {
        var form = UnsortedForm(
            sourceUID: sourceUID, sourceName: sourceName, pipelineID: pipelineID, createdAt: createdAt, metadata: metadata,
            embedded: .init(leads: [Lead(id: leadID)], contacts: contactID.map { [Contact(id: $0)] } ?? []), requestID: "")
        form.uid = uid
        form.requestID = nil
        return form
    }
}

struct FakeTask: Sendable {
    var id: Int
    var text: String
    var completeTill: Int
    var entityID: Int
    var entityType: String
    var responsibleUserID: Int
    var typeID: Int

    var model: AmoTask {
        var task = AmoTask(
            text: text, completeTill: completeTill, entityID: entityID, entityType: entityType, responsibleUserID: responsibleUserID,
            taskTypeID: typeID)
        task.id = id
        return task
    }
}

/// A list with its fields; `products` is the products list (one per account).
struct FakeCatalog: Sendable {
    var id: Int
    var name: String
    var type: String
    var fields: [FakeField]

    static func products(id: Int) -> FakeCatalog {
        FakeCatalog(
            id: id, name: "Товары", type: Catalog.products,
            fields: [
                FakeField(id: 70001, name: "Артикул", type: "text", code: "SKU", enums: [], isPredefined: true),
                FakeField(id: 70003, name: "Цена", type: "price", code: "PRICE", enums: [], isPredefined: true),
                FakeField(id: 70005, name: "Описание", type: "textarea", code: "DESCRIPTION", enums: [], isPredefined: true),
            ])
    }
}

struct FakeElement: Sendable {
    var id: Int
    var catalogID: Int
    var name: String
    var values: [Int: String]
}

struct FakeLink: Sendable {
    var elementID: Int
    var catalogID: Int
    var quantity: Double
}
