import AmoAPI
import AmoSyncCore
import Foundation

/// Step 5: order items as elements of the products list, linked to the lead with their
/// quantities (`orders.products`), links of up to 50 in one request. Linking again sets the
/// quantity, so an order update re-links its items (and unlinks the ones the order no longer
/// has) and a retry repeats nothing harmful. When
/// the account cannot have products linked (no list, no SKU field, no lists on its plan, no
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
        var links: [(item: DeliveryItem, link: EntityLink)] = []
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
                let metadata = EntityLink.Metadata(catalogID: list.id, quantity: NSDecimalNumber(decimal: quantity).doubleValue)
                links.append(
                    (
                        item,
                        EntityLink(
                            entityID: item.job.progress.leadID!, entityType: "leads", toEntityID: element,
                            toEntityType: EntityLink.catalogElements, metadata: metadata)
                    ))
            }
        }
        links += try await removed(needing, in: list)
        for start in stride(from: 0, to: links.count, by: Endpoints.batchLimit) {
            let chunk = Array(links[start..<min(start + Endpoints.batchLimit, links.count)])
            do {
                let linking = chunk.filter { $0.link.metadata?.quantity != 0 }.map(\.link)
                let unlinking = chunk.filter { $0.link.metadata?.quantity == 0 }.map(\.link)
                if !linking.isEmpty { _ = try await client.send(try Endpoints.linkLeads(linking)) }
                if !unlinking.isEmpty { _ = try await client.send(try Endpoints.unlinkLeads(unlinking)) }
            } catch let error as AmoError where error.kind == .rejected {
                // An element deleted in amoCRM: forgotten, so that the next attempt finds or makes it again.
                let gone = error.validationErrors.filter { $0.path.hasSuffix("to_entity_id") }.compactMap {
                    $0.requestID.flatMap(Int.init).flatMap { chunk[safe: $0]?.link.toEntityID }
                }
                await products.forget(gone, in: list)
                guard gone.isEmpty else {
                    throw AmoError(
                        kind: .transient, request: error.request, status: error.status, title: error.title,
                        detail: "products deleted in amoCRM (\(gone.map(String.init).joined(separator: ", "))): found or made again")
                }
                for item in Set(chunk.map { ObjectIdentifier($0.item) }).compactMap({ id in
                    chunk.first { ObjectIdentifier($0.item) == id }?.item
                }) {
                    item.warn("products not linked: amoCRM refused the links (\(error.description))")
                }
            }
        }
        for item in needing { item.update { $0.productsLinked = true } }
        try await progress.checkpoint(items)
    }

    /// Updates: the items the order's previous version had and this one lacks, as links of
    /// quantity 0 (sent as unlinks). Only elements the index knows are unlinked.
    private func removed(_ items: [DeliveryItem], in list: ProductCatalog.List) async throws -> [(item: DeliveryItem, link: EntityLink)] {
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
        return gone.compactMap { entry in
            known[entry.sku].map { element in
                (
                    entry.item,
                    EntityLink(
                        entityID: entry.item.job.progress.leadID!, entityType: "leads", toEntityID: element,
                        toEntityType: EntityLink.catalogElements, metadata: .init(catalogID: list.id, quantity: 0))
                )
            }
        }
    }
}
