import Foundation
import Logging
import ServiceLifecycle

/// A last resort for `serve`: once graceful shutdown starts, the process exits after
/// `limit` even if something is still waiting (systemd would kill it at `TimeoutStopSec`
/// anyway). Exiting is safe at any point: every acknowledged job is in SQLite, and an
/// interrupted delivery resumes from its checkpoints.
struct ShutdownDeadline: Service {
    let limit: Duration
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        let seconds = limit.seconds
        let logger = self.logger
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: seconds)
            logger.error("shutdown did not finish in time: exiting now", metadata: ["limit_s": "\(seconds)"])
            exit(0)
        }
    }
}
