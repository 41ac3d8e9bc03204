import Foundation
import Testing
@testable import AmoSyncCore
@testable import TestFixtures

/// The keys of amoCRM's own ways of working: read with their key paths, mapped into the plan,
/// stored and read back.
@Suite struct SalesRulesTests {
    func problems(_ change: (inout JSONValue) -> Void) -> [String] {
        var json = ConfigTests.minimal
        change(&json)
        return ConfigTests().problems(json)
    }

    @Test(
        arguments: [
            (
                "orders.rotation", JSONValue.object(["users": [1, 2], "mode": "fair"]),
                "orders.rotation.mode: must be one of round_robin, least_open, got fair"
            ),
            ("orders.rotation", JSONValue.object(["users": []]), "orders.rotation.users: expected at least one user id"),
            ("orders.rotation", JSONValue.object(["users": [5, 5]]), "orders.rotation.users: a user is listed twice"),
            ("orders.rotation", JSONValue.object(["mode": "least_open"]), "orders.rotation.users: is required: a list of amoCRM user ids"),
            ("orders.task", JSONValue.object(["due_minutes": 15]), "orders.task.text: is required"),
            (
                "orders.task", JSONValue.object(["text": "x", "due_minutes": 0]),
                "orders.task.due_minutes: must be between 1 and 525600, got 0"
            ),
            ("orders.task", JSONValue.object(["text": "x", "priority": 1]), "orders.task.priority: unknown key"),
            ("orders.products", JSONValue.object(["catalog_id": "products"]), "orders.products.catalog_id: expected integer"),
            ("orders.unsorted", JSONValue.string("yes"), "orders.unsorted: expected true or false"),
        ])
    func badKeysAreNamed(path: String, value: JSONValue, expected: String) {
        #expect(problems { $0.set(path, value) }.contains(expected))
    }

    @Test func aContactOnlyFormCannotMakeAnIncomingLead() {
        let found = problems { $0.set("forms", ["profile": ["create_lead": false, "unsorted": true]]) }
        #expect(found == ["forms.profile.unsorted: needs create_lead: a contact-only form makes no lead"])
    }

    @Test func theRulesAreReadWithTheirDefaults() throws {
        var json = ConfigTests.minimal
        json.set("orders.unsorted", true)
        json.set("orders.products", ["catalog_id": "auto"])
        json.set("orders.task", ["text": "Позвонить: {customer.name}"])
        json.set("orders.rotation", ["users": [504141, 123453]])
        json.set("forms", ["callback": ["task": ["text": "Перезвонить", "due_minutes": 5, "type_id": 2]]])
        let config = try Config.parse(json.canonicalData, environment: ConfigTests.env)
        #expect(config.orders.unsorted)
        #expect(config.orders.products == Config.Products(catalogID: nil, skuField: "SKU", createMissing: true))
        #expect(config.orders.task == Config.TaskRule(text: "Позвонить: {customer.name}", dueMinutes: 15, typeID: nil))
        #expect(config.orders.rotation == Config.Rotation(users: [504141, 123453], mode: .roundRobin))
        #expect(config.forms["callback"]?.task == Config.TaskRule(text: "Перезвонить", dueMinutes: 5, typeID: 2))
        #expect(config.forms["callback"]?.unsorted == false)
        #expect(config.usesTasks)
    }

    static func mapper(_ change: (inout JSONValue) -> Void) throws -> Mapper {
        var json = ConfigTests.minimal
        json.set("orders.responsible_user_id", 581651)
        json.set("orders.categories", ["40": ["pipeline_id": 23456, "status_id": 567890, "responsible_user_id": 123453]])
        change(&json)
        return Mapper(config: try Config.parse(json.canonicalData, environment: ConfigTests.env))
    }

    static func order(id: String, categories: [Int] = [], responsible: Int? = nil) -> JSONValue {
        var order: JSONValue = [
            "id": .string(id), "customer": ["name": "Anna", "phone": "+79125550102"], "page": "https://shop.example/cart",
            "items": [
                [
                    "name": "Kettle", "sku": "K-77", "price": 51.5, "quantity": 2,
                    "categories": .array(categories.map { .number(JSONNumber($0)) }),
                ],
                ["name": "Gift wrap", "price": 1, "quantity": 1],
            ],
        ]
        if let responsible { order.set("responsible_user_id", .number(JSONNumber(responsible))) }
        return order
    }

    @Test func anOrderPlanCarriesItsRulesAndRotationGivesWayToNamedUsers() throws {
        let mapper = try Self.mapper {
            $0.set("orders.unsorted", true)
            $0.set("orders.products", ["catalog_id": 4255])
            $0.set("orders.task", ["text": "Позвонить: {customer.name}, заказ {id}", "due_minutes": 30])
            $0.set("orders.rotation", ["users": [504141, 123453], "mode": "least_open"])
        }
        let plain = try mapper.mapOrder(Self.order(id: "1")).plan
        let sales = try #require(plain.sales)
        #expect(plain.lead?.responsibleUserID == nil, "rotation takes the place of the static default")
        #expect(sales.rotation == RotationPlan(turn: "orders", users: [504141, 123453], mode: .leastOpen))
        #expect(sales.task == TaskPlan(text: "Позвонить: Anna, заказ 1", dueMinutes: 30, typeID: nil))
        #expect(sales.products == [ProductLine(sku: "K-77", name: "Kettle", price: Decimal(string: "51.5")!, quantity: 2)])
        #expect(sales.incoming?.formID == "amosync:orders")
        #expect(sales.incoming?.page == "https://shop.example/cart")
        // Stored and read back as it was.
        #expect(try DeliveryPlan(json: plain.json) == plain)

        let category = try mapper.mapOrder(Self.order(id: "2", categories: [40])).plan
        #expect(category.lead?.responsibleUserID == 123453)
        #expect(category.sales?.rotation == nil)
        let named = try mapper.mapOrder(Self.order(id: "3", responsible: 777)).plan
        #expect(named.lead?.responsibleUserID == 777)
        #expect(named.sales?.rotation == nil)
    }

    @Test func aPlanWithoutRulesHasNoSalesPart() throws {
        let plan = try Self.mapper { _ in }.mapOrder(Self.order(id: "1")).plan
        #expect(plan.sales == nil)
        #expect(plan.lead?.responsibleUserID == 581651)
        #expect(plan.json["sales"] == nil)
    }
}
