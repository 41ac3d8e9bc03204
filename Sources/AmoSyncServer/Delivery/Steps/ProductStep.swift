import AmoAPI
import AmoSyncCore
import Foundation

/// Step 5: order items as elements of the products list, linked to the lead with their
/// quantities (`orders.products`), links of up to 50 in one request. Linking again sets the
/// quantity, so an order update re-links its items (and unlinks the ones the order no longer
/// has) and a retry repeats nothing harmful. When the account cannot have products linked (no list, no SKU field, no lists on its plan, no
/// access), the order goes without links, and the job says why: its goods are in its text.
struct ProductStep: Sendable {
    let client: AmoClient
    let products: ProductCatalog
    let ledger: any LedgerStore
    let settings: Config.Products?
    let progress: any BatchProgress

    func run(_ items: [DeliveryItem]) async throws {
        let needing = items.filter { item in
            guard item.active, let lines = item.plan.sales?.products, item.job.progress.leadID != nil, !item.job.progress.productsLinked
            else { return false }
            return !lines.isEmpty || item.job.kind == .orderUpdate  // an update may have dropped every item
        }
        guard !needing.isEmpty else { return }
        guard let settings else {
            return  // `orders.products` was taken out of the config since the job was mapped
        }
        let list: ProductCatalog.List
        do { list = try await products.list(settings) } catch let problem as ProductsUnavailable {
            for item in needing {
                item.warn("products not linked: \(problem.description); the items are in the lead's text")
                item.update { $0.productsLinked = true }
            }
            return try await progress.checkpoint(items)
        }
        let lines = needing.flatMap { $0.plan.sales!.products! }
        let elements = try await products.elements(for: lines, in: list, create: settings.createMissing)
        var linking: [(item: DeliveryItem, link: EntityLink)] = []
        var unlinking: [(item: DeliveryItem, link: EntityLink)] = []
        for item in needing {
            var quantities: [Int: Decimal] = [:]
            for line in item.plan.sales!.products! {
                guard let element = elements[line.sku] else {
                    item.warn("product \(line.sku) is not in list \(list.id) (create_missing is off): not linked")
                    continue
                }
                quantities[element, default: 0] += line.quantity
            }
            for (element, quantity) in quantities.sorted(by: { $0.key < $1.key }) {
                // An item at quantity 0 is not ordered: it is taken off the lead.
                let link = Self.link(item, element, list: list, quantity: NSDecimalNumber(decimal: quantity).doubleValue)
                if quantity > 0 { linking.append((item, link)) } else { unlinking.append((item, link)) }
            }
        }
        unlinking += try await removed(needing, in: list).map { item, element in (item, Self.link(item, element, list: list, quantity: 0)) }
        try await send(linking, in: list, request: Endpoints.linkLeads)
        try await send(unlinking, in: list, request: Endpoints.unlinkLeads)
        for item in needing { item.update { $0.productsLinked = true } }
        try await progress.checkpoint(items)
    }

    static func link(_ item: DeliveryItem, _ element: Int, list: ProductCatalog.List, quantity: Double) -> EntityLink {
        EntityLink(
            entityID: item.job.progress.leadID!, entityType: "leads", toEntityID: element, toEntityType: EntityLink.catalogElements,
            metadata: .init(catalogID: list.id, quantity: quantity))
    }

    /// Links (or unlinks) in requests of 50. An element deleted in amoCRM is forgotten and the
    /// batch retried, so that the next attempt finds or makes it again; another refusal leaves
    /// the order without those links, with a warning.
    private func send(
        _ links: [(item: DeliveryItem, link: EntityLink)], in list: ProductCatalog.List,
        request: ([EntityLink]) throws -> Endpoint<Page<EntityLink>>
    ) async throws {
        for chunk in links.chunks(of: Endpoints.batchLimit) {
            let chunk = Array(chunk)
            do {
                _ = try await client.send(try request(chunk.map(\.link)))
            } catch let error as AmoError where error.kind == .rejected {
                let gone = error.validationErrors.filter { $0.path.hasSuffix("to_entity_id") }.compactMap {
                    $0.requestID.flatMap(Int.init).flatMap { chunk[safe: $0]?.link.toEntityID }
                }
                await products.forget(gone, in: list)
                guard gone.isEmpty else {
                    throw AmoError(
                        kind: .transient, request: error.request, status: error.status, title: error.title,
                        detail: "products deleted in amoCRM (\(gone.map(String.init).joined(separator: ", "))): found or made again")
                }
                chunk.forEach { $0.item.warn("products not linked: amoCRM refused the links (\(error.description))") }
            }
        }
    }

    /// Updates: the elements of the items the order's previous version had and this one lacks
    /// (only those the index knows).
    private func removed(_ items: [DeliveryItem], in list: ProductCatalog.List) async throws -> [(item: DeliveryItem, element: Int)] {
        let updates = items.filter { $0.job.kind == .orderUpdate }
        guard !updates.isEmpty else { return [] }
        let context = try await ledger.updateContext(updates.map(\.job))
        var gone: [(item: DeliveryItem, sku: String)] = []
        for item in updates {
            let now = Set(item.plan.sales?.products?.map(\.sku) ?? [])
            let before = Set(context[item.job.id]?.previousProducts?.map(\.sku) ?? [])
            gone += before.subtracting(now).sorted().map { (item, $0) }
        }
        guard !gone.isEmpty else { return [] }
        let known = try await products.known(gone.map(\.sku), in: list)
        return gone.compactMap { entry in known[entry.sku].map { (entry.item, $0) } }
    }
}
