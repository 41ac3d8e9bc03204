import AmoSyncCore
import Foundation

/// Contact keys (normalized phones and emails) held by batches in flight, so that two
/// concurrent batches never create the same new customer twice.
actor ContactLocks {
    private var held: Set<String> = []
    private var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]

    let clock: any TimeSource

    init(clock: any TimeSource = SystemTime()) { self.clock = clock }

    /// Takes all keys, or none when any is held.
    func tryLock(_ keys: [String]) -> Bool {
        if keys.contains(where: held.contains) { return false }
        held.formUnion(keys)
        return true
    }

    func unlock(_ keys: [String]) {
        held.subtract(keys)
        let woken = waiters.values
        waiters.removeAll()
        for waiter in woken { waiter.resume() }
    }

    /// Returns once a batch has released its customers — at once when nothing is held, at the
    /// latest after `limit`, or when the task is cancelled. A batch none of whose customers is
    /// free waits here with its jobs in hand (`BatchDelivery.lockCustomers`) instead of handing
    /// them back and claiming them again while the holder works: each such release and claim is
    /// a write transaction that intake would queue behind.
    func released(limit: Duration = .seconds(1)) async {
        guard !held.isEmpty else { return }
        let id = UUID()
        // Unstructured: the timer runs beside the wait below, which is a continuation (not a
        // task a group could race); it is cancelled as soon as the wait ends.
        let timer = Task {
            try? await self.clock.sleep(for: limit)
            self.cancel(id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled { continuation.resume() } else { waiters[id] = continuation }
            }
        } onCancel: {
            // The handler is synchronous and cannot enter the actor: a task does, at once.
            Task { await self.cancel(id) }
        }
        timer.cancel()
    }

    /// Lanes waiting in `released` (for tests).
    var waiting: Int { waiters.count }

    private func cancel(_ id: UUID) { waiters.removeValue(forKey: id)?.resume() }
}
