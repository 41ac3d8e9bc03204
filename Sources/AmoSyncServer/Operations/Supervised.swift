import Logging
import ServiceLifecycle

/// A background service that must never stop intake: an error it throws, or an end before
/// shutdown, is logged, reported (`DeliveryHealth`: `/readyz` and `stats` show it) and the
/// service is started again after a back-off (1 s, doubling up to 60 s); once it has run for
/// a minute again the problem is cleared. Without this, one odd answer from amoCRM ended the
/// service group — `serve` exited and systemd restarted it into the same answer.
struct Supervised: Service, CustomStringConvertible {
    let name: String
    let service: any Service
    let health: DeliveryHealth
    let logger: Logger
    let clock: any TimeSource
    /// How long a restarted service runs before its problem is cleared and its back-off reset.
    var healthy: Duration = .seconds(60)
    var description: String { "Supervised(\(name))" }

    private enum Outcome: Sendable {
        /// The service returned or threw: why, nil at shutdown.
        case ended(String?)
        case healthy
    }

    func run() async throws {
        var failures = 0
        while !Task.isCancelled {
            let started = clock.now
            let failure = await withTaskGroup(of: Outcome.self) { group in
                group.addTask {
                    do {
                        try await service.run()
                        return .ended(Task.isShuttingDownGracefully || Task.isCancelled ? nil : "stopped by itself")
                    } catch {
                        return .ended(Task.isShuttingDownGracefully || Task.isCancelled ? nil : "\(error)")
                    }
                }
                group.addTask {
                    // Running for a while again: the problem is over.
                    if (try? await clock.sleep(for: healthy)) != nil { await health.backgroundWorks(name) }
                    return .healthy
                }
                while let outcome = await group.next() {
                    if case .ended(let failure) = outcome {
                        group.cancelAll()
                        return failure
                    }
                }
                return nil
            }
            guard let failure else { return }
            await health.backgroundFailed(name, failure)
            logger.error("background service failed; starting it again", metadata: ["service": "\(name)", "error": "\(failure)"])
            if clock.now - started >= healthy { failures = 0 }
            failures += 1
            let delay = Duration.seconds(min(60, 1 << min(failures - 1, 6)))
            await cancelWhenGracefulShutdown { try? await clock.sleep(for: delay) }
            if Task.isShuttingDownGracefully { return }
        }
    }
}
