import Synchronization

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

    func run(_ work: @escaping @Sendable () async -> Void) {
        state.withLock { state in
            guard state.task == nil else {
                state.again = true
                return
            }
            state.task = Task {
                repeat { await work() } while self.state.withLock { state in
                    if state.again {
                        state.again = false
                        return true
                    }
                    state.task = nil
                    return false
                }
            }
        }
    }
}
