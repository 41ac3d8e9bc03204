import Logging
import ServiceLifecycle
import AmoSyncCore

/// Work the daemon does once at start, as a service of its group (so that shutdown reaches
/// it): compare the config with the account, and finish an OAuth code exchange a previous
/// process left pending. Shutdown cancels what is still running; done early, it waits for
/// its turn in the shutdown (a service group takes a service that ends during another's
/// shutdown for a failure).
struct StartupTasks: Service, CustomStringConvertible {
    var description: String { "StartupTasks" }
    let accountCheck: AccountCheck?
    /// The account check starts after this: the contact index's head start has the budget first.
    var accountCheckDelay: Duration = .zero
    var pendingExchange: (@Sendable () -> Task<Void, Never>)?
    let logger: Logger
    let clock: any TimeSource
    /// On PostgreSQL the account check waits until this node delivers: a node that only takes
    /// orders sends amoCRM nothing, so nodes never race each other for the rate budget.
    var leadership: Leadership?

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                if let accountCheck {
                    group.addTask {
                        // A config that does not match the account is reported at start (and by `amosync check`).
                        if let leadership, await !leadership.waitUntilLeader() { return }
                        guard (try? await clock.sleep(for: accountCheckDelay)) != nil, let findings = try? await accountCheck.run() else {
                            return
                        }
                        for finding in findings where finding.isProblem {
                            logger.error(
                                "the configuration does not match the account",
                                metadata: ["path": "\(finding.path)", "problem": "\(finding.message)"])
                        }
                    }
                }
                if let pendingExchange {
                    group.addTask {
                        let exchange = pendingExchange()
                        await withTaskCancellationHandler {
                            await exchange.value
                        } onCancel: {
                            exchange.cancel()
                        }
                    }
                }
            }
        }
        try? await gracefulShutdown()
    }
}
