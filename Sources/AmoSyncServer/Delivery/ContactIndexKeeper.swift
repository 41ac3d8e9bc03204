import ServiceLifecycle

/// Runs the contact index's background work (`ContactIndex.keepFresh()`) as a service of the
/// daemon: it stops at graceful shutdown, mid-request if need be — a page is stored with its
/// position in one transaction, so the next start reads it again at most.
struct ContactIndexKeeper: Service {
    let index: ContactIndex

    func run() async throws {
        await cancelWhenGracefulShutdown { await index.keepFresh() }
    }
}
