import AmoSyncCore
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// sd_notify(3) without libsystemd: `READY=1` once the database is open and the port bound,
/// `STOPPING=1` on shutdown, and `WATCHDOG=1` keep-alives while the worker loop turns.
/// Does nothing when systemd did not ask for it (no `$NOTIFY_SOCKET`).
final class SystemdNotifier: Sendable {
    let socketPath: String?
    /// Half of `WatchdogSec`, or nil when no watchdog is configured.
    let watchdogInterval: Duration?
    private let lastPing = Mutex<ContinuousClock.Instant?>(nil)
    let clock: any TimeSource

    init(environment: [String: String] = ProcessInfo.processInfo.environment, clock: any TimeSource = SystemTime()) {
        self.clock = clock
        socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        if let usec = environment["WATCHDOG_USEC"].flatMap(Int64.init), usec > 0 {
            watchdogInterval = .microseconds(usec / 2)
        } else {
            watchdogInterval = nil
        }
    }

    var isActive: Bool { socketPath != nil }

    @discardableResult
    func notify(_ state: String) -> Bool {
        guard let socketPath else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        // A leading "@" names an abstract socket.
        var path = Array(socketPath.utf8)
        if path.first == UInt8(ascii: "@") { path[0] = 0 }
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.enumerated() { buffer[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count)
        let sent = state.withCString { text in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, text, strlen(text), 0, $0, length) }
            }
        }
        return sent >= 0
    }

    /// A keep-alive from the worker loop, sent at most once per half watchdog interval.
    func heartbeat() {
        guard let interval = watchdogInterval else { return }
        let now = clock.now
        let due = lastPing.withLock { last -> Bool in
            if let last, now - last < interval / 2 { return false }
            last = now
            return true
        }
        if due { notify("WATCHDOG=1") }
    }
}

extension SystemdNotifier {
    /// CLOCK_MONOTONIC in microseconds, as `RELOADING=1` wants it in `MONOTONIC_USEC`.
    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }
}
