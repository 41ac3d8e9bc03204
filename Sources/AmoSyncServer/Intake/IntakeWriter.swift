import Foundation
import Synchronization
import AmoSyncCore

/// Group commit for intake: concurrent requests are coalesced into one SQLite transaction
/// (one fsync), so durability stays `synchronous=FULL` while throughput scales with load.
/// Each request still gets its answer only after its transaction committed.
final class IntakeWriter: Sendable {
    typealias Waiter = (job: NewJob, continuation: CheckedContinuation<EnqueueResult, any Error>)
    private struct State {
        var pending: [Waiter] = []
        var flushing = false
    }

    let store: any QueueStore
    private let state = Mutex(State())
    let maxBatch: Int

    init(store: any QueueStore, maxBatch: Int = 512) {
        self.store = store
        self.maxBatch = maxBatch
    }

    /// Stores a job; returns once it is committed.
    func submit(_ job: NewJob) async throws -> EnqueueResult {
        try await withCheckedThrowingContinuation { continuation in
            let start = state.withLock { state -> Bool in
                state.pending.append((job, continuation))
                if state.flushing { return false }
                state.flushing = true
                return true
            }
            // Unstructured: the flush carries the jobs of every waiting request, so it must not
            // end with the request that started it (its client may hang up).
            if start { Task { await self.flush() } }
        }
    }

    private func flush() async {
        while true {
            let batch = state.withLock { state -> [Waiter] in
                let batch = Array(state.pending.prefix(maxBatch))
                state.pending.removeFirst(batch.count)
                if batch.isEmpty { state.flushing = false }
                return batch
            }
            if batch.isEmpty { return }
            do {
                let results = try await store.enqueue(batch.map(\.job))
                for (waiter, result) in zip(batch, results) { waiter.continuation.resume(returning: result) }
            } catch {
                // One bad row must not fail its neighbours: retry each alone.
                for waiter in batch {
                    do { waiter.continuation.resume(returning: try await store.enqueue([waiter.job])[0]) } catch {
                        waiter.continuation.resume(throwing: error)
                    }
                }
            }
        }
    }
}
