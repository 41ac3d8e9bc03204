import AmoAPI
import AmoSyncCore
import Foundation

/// Why products cannot be linked in this account (no products list, no SKU field, a plan
/// without lists, a user without access): the order is delivered with its text goods.
struct ProductsUnavailable: Error, CustomStringConvertible {
    var description: String
}

/// The account's products list and its elements by SKU. The list and its fields are read
/// once every 10 minutes; an SKU is looked up in the local index (`product_index`), then in
/// amoCRM (`query`, an exact match on the SKU field), and created when missing — one lookup
/// at a time for the whole daemon, so that two batches never create the same product.
actor ProductCatalog {
    struct List: Sendable, Equatable {
        var id: Int
        var skuField: Int
        var priceField: Int?
    }

    let client: AmoClient
    let store: any SalesStore
    let clock: any TimeSource
    private let gate = SerialGate()
    private var list: (settings: Config.Products, list: List, at: Date)?
    static let listTTL: TimeInterval = 600

    init(client: AmoClient, store: any SalesStore, clock: any TimeSource) {
        self.client = client
        self.store = store
        self.clock = clock
    }

    /// The list the settings name (`auto`: the account's products list), with its SKU field.
    func list(_ settings: Config.Products) async throws -> List {
        try await gate.run { [self] in try await cachedList(settings) }
    }

    private func cachedList(_ settings: Config.Products) async throws -> List {
        if let list, list.settings == settings, clock.date.timeIntervalSince(list.at) < Self.listTTL { return list.list }
        let found = try await Self.read(settings, client: client)
        list = (settings, found, clock.date)
        return found
    }

    /// Reads the list and its fields; `ProductsUnavailable` says what is missing.
    static func read(_ settings: Config.Products, client: AmoClient) async throws -> List {
        let catalogs: [Catalog]
        do { catalogs = try await client.send(Endpoints.catalogs()).items } catch let error as AmoError
            where error.kind == .accountUnavailable || error.status == 404
        {
            throw ProductsUnavailable(
                description: error.status == 402
                    ? "the account's plan has no lists (HTTP 402 on \(error.request))"
                    : "amoCRM refused the lists (HTTP \(error.status ?? 0)): give the integration's user access to Списки")
        }
        let catalog: Catalog
        if let id = settings.catalogID {
            guard let match = catalogs.first(where: { $0.id == id }) else {
                throw ProductsUnavailable(description: "the account has no list \(id) (orders.products.catalog_id)")
            }
            catalog = match
        } else {
            guard let match = catalogs.first(where: { $0.type == Catalog.products }) else {
                throw ProductsUnavailable(description: "the account has no products list: turn on Списки → Товары in amoCRM")
            }
            catalog = match
        }
        var fields: [CustomField] = []
        for page in 1...10 {
            let list = try await client.send(Endpoints.catalogFields(catalog.id, page: page))
            fields += list.items
            if !list.hasNext { break }
        }
        let wanted = settings.skuField.lowercased()
        guard let sku = fields.first(where: { $0.code?.lowercased() == wanted || $0.name.lowercased() == wanted })?.id else {
            throw ProductsUnavailable(
                description: "list \(catalog.name) (\(catalog.id)) has no field \(settings.skuField) (orders.products.sku_field)")
        }
        let price = fields.first { $0.code == "PRICE" || $0.type == "price" }
        return List(id: catalog.id, skuField: sku, priceField: price?.id ?? nil)
    }

    /// The elements for these lines by SKU; missing ones are created when `create` is on.
    func elements(for lines: [ProductLine], in list: List, create: Bool) async throws -> [String: Int] {
        try await gate.run { [self] in try await find(lines, in: list, create: create) }
    }

    private func find(_ lines: [ProductLine], in list: List, create: Bool) async throws -> [String: Int] {
        var bySKU: [String: ProductLine] = [:]
        for line in lines where bySKU[line.sku] == nil { bySKU[line.sku] = line }
        var found = try await store.products(catalog: list.id, skus: Array(bySKU.keys))
        var learned: [String: Int] = [:]
        for sku in bySKU.keys.sorted() where found[sku] == nil {
            let hits = try await client.send(Endpoints.catalogElements(list.id, query: sku)).items
            if let hit = hits.first(where: { Self.sku(of: $0, field: list.skuField) == sku }), let id = hit.id {
                found[sku] = id
                learned[sku] = id
            }
        }
        let missing = bySKU.keys.sorted().filter { found[$0] == nil }
        if create, !missing.isEmpty {
            for chunk in missing.chunks(of: Endpoints.batchLimit).map(Array.init) {
                let bodies = chunk.enumerated().map { index, sku in element(bySKU[sku]!, list: list, requestID: "\(index)") }
                let answer = try await client.send(try Endpoints.createCatalogElements(list.id, bodies))
                let sorted: [Int: CatalogElement]
                do { sorted = try BatchAnswer.sort(answer, sent: chunk.count, id: \.id, requestID: \.requestID) } catch {
                    throw AmoError(
                        kind: .unknownOutcome, request: "POST catalogs/\(list.id)/elements", status: 200, title: nil, detail: "\(error)")
                }
                for (index, element) in sorted { if let id = element.id { found[chunk[index]] = id; learned[chunk[index]] = id } }
            }
        }
        try await store.recordProducts(catalog: list.id, learned)
        return found
    }

    /// A new element: the item's name, its SKU and its price.
    private func element(_ line: ProductLine, list: List, requestID: String) -> CatalogElement {
        var values = [CustomFieldValues(fieldID: list.skuField, values: [.init(value: .string(line.sku))])]
        if let price = list.priceField {
            values.append(CustomFieldValues(fieldID: price, values: [.init(value: .number(JSONNumber(line.price)))]))
        }
        var warnings: [String] = []
        return CatalogElement(
            name: AmoLimits.fit(line.name, to: AmoLimits.name, what: "product name", warnings: &warnings), customFieldsValues: values,
            requestID: requestID)
    }

    static func sku(of element: CatalogElement, field: Int) -> String? {
        element.customFieldsValues?.first { $0.fieldID == field }?.values?.first?.text
    }

    /// The elements the index knows for these SKUs (nothing is looked up or made).
    func known(_ skus: [String], in list: List) async throws -> [String: Int] {
        try await store.products(catalog: list.id, skus: skus)
    }

    /// Elements amoCRM says are gone: found or created again next time.
    func forget(_ elements: [Int], in list: List) async {
        try? await store.forgetProducts(catalog: list.id, elements: elements)
    }
}
