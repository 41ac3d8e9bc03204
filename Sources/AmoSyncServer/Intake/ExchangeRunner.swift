import Synchronization
import AmoSyncCore

/// Runs at most one background job at a time. A request while one runs makes it run once
/// more when it ends (it then reads the newest stored code), so nothing is missed and no two
/// exchanges overlap.
final class ExchangeRunner: Sendable {
    private struct State {
        var task: Task<Void, Never>?
        var again = false
    }
    private let state = Mutex(State())

    var isIdle: Bool { state.withLock { $0.task == nil } }

    /// Returns the task that will run `work` (the running one when one runs).
    @discardableResult
    func run(_ work: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
        state.withLock { state in
            if let running = state.task {
                state.again = true
                return running
            }
            // Unstructured: the exchange outlives the OAuth callback that asked for it (the
            // callback is answered at once).
            state.task = Task {
                repeat {
                    await work()
                } while self.state.withLock { state in
                    if state.again {
                        state.again = false
                        return true
                    }
                    state.task = nil
                    return false
                }
            }
            return state.task!
        }
    }
}
