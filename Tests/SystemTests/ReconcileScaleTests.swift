import Testing

@testable import TestSupport

/// The figure: a reconcile over 10,000 unchanged orders queues nothing, asks the shop at
/// most once per 100 orders and never amoCRM (a pass has no amoCRM client).
@Suite struct ReconcileScaleTests {
    @Test func aPassOverTenThousandUnchangedOrdersQueuesNothing() async throws {
        try await UnchangedShop.reconcile(count: 10_000)
    }
}
