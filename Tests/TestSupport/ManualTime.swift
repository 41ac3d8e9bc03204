import Foundation
import Synchronization

@testable import AmoSyncServer

/// A clock the test moves by hand: `sleep` returns only when `advance` passes its deadline (or
/// the sleeper is cancelled). `sleepers(_:)` waits until that many tasks are asleep, so a test
/// knows a task is blocked without sleeping itself.
final class ManualTime: TimeSource {
    private struct State {
        var now = ContinuousClock.now
        var sleepers: [UInt64: (deadline: ContinuousClock.Instant, continuation: CheckedContinuation<Void, any Error>)] = [:]
        var watchers: [UInt64: (count: Int, continuation: CheckedContinuation<Void, Never>)] = [:]
        var nextID: UInt64 = 0
    }
    private let state = Mutex(State())

    var now: ContinuousClock.Instant { state.withLock { $0.now } }

    /// The same time as a wall-clock date (for `SQLiteStore(now:)`), moved by `advance` too.
    var date: Date {
        let elapsed = now - start
        return base.addingTimeInterval(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
    private let start = ContinuousClock.now
    private let base = Date(timeIntervalSince1970: 1_800_000_000)

    func sleep(until deadline: ContinuousClock.Instant) async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let (resume, watchers) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
                    if deadline <= state.now { return (true, []) }
                    state.sleepers[id] = (deadline, continuation)
                    return (false, Self.due(&state))
                }
                if resume { continuation.resume() }
                watchers.forEach { $0.resume() }
            }
        } onCancel: {
            state.withLock { $0.sleepers.removeValue(forKey: id) }?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the time; sleepers whose deadline has come wake up.
    func advance(_ duration: Duration) {
        let woken = state.withLock { state in
            state.now += duration
            let due = state.sleepers.filter { $0.value.deadline <= state.now }
            for id in due.keys { state.sleepers.removeValue(forKey: id) }
            return due.values.map(\.continuation)
        }
        woken.forEach { $0.resume() }
    }

    /// Returns once at least `count` tasks are asleep on this clock (at once when cancelled).
    func sleepers(_ count: Int) async {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state in
                    state.watchers[id] = (count, continuation)
                    return Self.due(&state)
                }
                ready.forEach { $0.resume() }
            }
        } onCancel: {
            state.withLock { $0.watchers.removeValue(forKey: id) }?.continuation.resume()
        }
    }

    private static func due(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        let asleep = state.sleepers.count
        let ready = state.watchers.filter { $0.value.count <= asleep }
        for id in ready.keys { state.watchers.removeValue(forKey: id) }
        return ready.values.map(\.continuation)
    }
}

/// Whichever comes first: `task` finishing, or `clock` having `sleepers` tasks asleep.
enum Race: Equatable { case finished, asleep }

func race(_ task: Task<Void, any Error>, _ clock: ManualTime, sleepers: Int = 1) async -> Race {
    let pending = Mutex<CheckedContinuation<Race, Never>?>(nil)
    let watchers = Mutex<[Task<Void, Never>]>([])
    let result = await withCheckedContinuation { continuation in
        pending.withLock { $0 = continuation }
        let finish: @Sendable (Race) -> Void = { outcome in
            pending.withLock { waiting in
                defer { waiting = nil }
                return waiting
            }?.resume(returning: outcome)
        }
        // Awaiting a task's value does not end on cancellation: both watchers are unstructured.
        watchers.withLock {
            $0 = [
                Task {
                    _ = try? await task.value; finish(.finished)
                },
                Task {
                    await clock.sleepers(sleepers); finish(.asleep)
                },
            ]
        }
    }
    watchers.withLock { $0.forEach { $0.cancel() } }
    return result
}

/// The wall clock stopped at one moment (the monotonic clock runs): what a check reads "now".
struct FixedDate: TimeSource {
    let date: Date
    init(_ date: Date) { self.date = date }
    var now: ContinuousClock.Instant { .now }
    func sleep(until deadline: ContinuousClock.Instant) async throws { try await ContinuousClock().sleep(until: deadline) }
}
