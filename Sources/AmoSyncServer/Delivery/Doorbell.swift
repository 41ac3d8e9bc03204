import Foundation
import Synchronization
import AmoSyncCore

/// Wakes idle workers when intake stores a job, instead of waiting for the next poll. A
/// waiter sleeps on a continuation until a ring, its timeout or its cancellation: an idle
/// daemon does not wake up between polls.
final class Doorbell: Sendable {
    private struct State {
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        /// Waiters woken (timeout, cancellation) before they had registered.
        var woken: Set<UInt64> = []
        var nextID: UInt64 = 0
        var rings: UInt64 = 0
    }
    private let state = Mutex(State())
    let clock: any TimeSource

    init(clock: any TimeSource = SystemTime()) { self.clock = clock }

    /// Wakes every waiter.
    func ring() {
        let waiting = state.withLock { state in
            state.rings &+= 1
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Waits for a ring, or until `due` (the queue's next due job), at most `atMost` and at least 20 ms.
    func wait(until due: Date?, atMost: Duration) async {
        let seconds = due.map { min(atMost.seconds, max(0.02, $0.timeIntervalSince(clock.date))) } ?? atMost.seconds
        await wait(timeout: .milliseconds(Int64(seconds * 1000)))
    }

    /// Returns after a ring or the timeout, whichever comes first (at once when cancelled).
    func wait(timeout: Duration) async {
        let (id, rings) = state.withLock { state in
            state.nextID += 1
            return (state.nextID, state.rings)
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in self.register(id, ringsAtStart: rings, continuation) }
                } onCancel: {
                    self.wake(id)
                }
            }
            group.addTask { try? await self.clock.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
        // A ring resumed it and the timeout's cancellation then marked it woken: forget the mark.
        state.withLock { _ = $0.woken.remove(id) }
    }

    /// A ring since the wait began (before this registration) wakes it at once too.
    private func register(_ id: UInt64, ringsAtStart: UInt64, _ continuation: CheckedContinuation<Void, Never>) {
        let early = state.withLock { state in
            if state.woken.remove(id) != nil || state.rings != ringsAtStart { return true }
            state.waiters[id] = continuation
            return false
        }
        if early { continuation.resume() }
    }

    private func wake(_ id: UInt64) {
        let continuation = state.withLock { state in
            if let waiting = state.waiters.removeValue(forKey: id) { return Optional(waiting) }
            state.woken.insert(id)
            return nil
        }
        continuation?.resume()
    }
}
