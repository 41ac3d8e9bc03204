import Foundation
import Logging
import ServiceLifecycle
import UnixSignals
import AmoSyncCore

/// `systemctl reload amosync` (SIGHUP): reads the config file again. A valid file replaces
/// the intake's rules (mapping, forms, sources, intake tokens) and the worker's limits at
/// once — a request in flight finishes with the rules it started with, a queued job keeps
/// its stored plan — and an invalid one is refused with `check`'s key-path messages while
/// the daemon keeps the config it has. Also tells systemd when the daemon stops.
struct Reloader: Service, CustomStringConvertible {
    var description: String { "Reloader" }
    let reload: ConfigReload
    let signals: [UnixSignal]

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: signals)
        for await _ in hangups.cancelOnGracefulShutdown() { reload.run() }
        reload.notifier.notify("STOPPING=1")
    }
}

/// What a reload touches: the file, the config in force, the intake's rules and the worker.
struct ConfigReload: Sendable {
    let load: (@Sendable () throws -> Config)?
    let rules: Live<Config>
    let intake: Live<IntakeRoutes>
    let makeIntake: @Sendable (Config) -> IntakeRoutes
    let worker: DeliveryWorker
    let notifier: SystemdNotifier
    let logger: Logger
}

extension Daemon {
    /// What a reload did.
    enum ReloadResult: Sendable, Equatable {
        /// Applied; `restartNeeded` lists changed keys that only a restart applies.
        case applied(restartNeeded: [String])
        /// Refused: the problems, one per line with its key path. Nothing changed.
        case refused(String)
        /// The daemon was not started from a file.
        case unavailable
    }

    /// Reads the config file again and applies it (SIGHUP does the same).
    @discardableResult
    func reload() -> ReloadResult { reloading.run() }
}

extension ConfigReload {
    @discardableResult
    func run() -> Daemon.ReloadResult {
        guard let loadConfig = load else { return .unavailable }
        notifier.notify("RELOADING=1\nMONOTONIC_USEC=\(SystemdNotifier.monotonicMicroseconds())\nSTATUS=reloading the configuration")
        defer { notifier.notify("READY=1\nSTATUS=accepting orders and forms") }
        let new: Config
        do { new = try loadConfig() } catch {
            let problems = (error as? ConfigError)?.description ?? "\(error)"
            logger.error(
                "reload refused: the configuration is not valid; the daemon keeps the configuration it has",
                metadata: ["problems": "\(problems)"])
            return .refused(problems)
        }
        let running = rules.current
        let fixed = running.restartNeeded(for: new)
        // The intake's rules, then the worker's limits; fixed settings keep their running values.
        let effective = running.reloaded(with: new)
        rules.replace(effective)
        intake.replace(makeIntake(effective))
        worker.reconfigure()
        if fixed.isEmpty {
            logger.info("configuration reloaded")
        } else {
            logger.warning(
                "configuration reloaded; restart needed for some changes (the old values stay in force until then)",
                metadata: ["keys": "\(fixed.joined(separator: ", "))"])
        }
        return .applied(restartNeeded: fixed)
    }
}
