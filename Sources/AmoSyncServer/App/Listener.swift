import Foundation
import NIOCore
import ServiceLifecycle
import AmoSyncCore

/// An HTTP server of the daemon that says which setting to change when its port is taken,
/// instead of NIO's bare "Address already in use".
package struct Listener: Service, CustomStringConvertible {
    package var description: String { "Listener(\(setting): \(port))" }
    let server: any Service
    let port: Int
    /// What to change, e.g. "server.port or --port".
    let setting: String

    package init(server: any Service, port: Int, setting: String) {
        self.server = server
        self.port = port
        self.setting = setting
    }

    package func run() async throws {
        do { try await server.run() } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw Daemon.StartError(message: "port \(port) is already in use (set \(setting))")
        }
    }
}

/// Finds a port to listen on.
package enum FreePort {
    /// `preferred` if nothing listens there, else the next free one above it (up to 100 further).
    package static func from(_ preferred: Int, host: String = "127.0.0.1") -> Int? {
        (preferred..<min(preferred + 100, 65_536)).first { isFree($0, host: host) }
    }

    /// A port the system picks among its free ones.
    package static func ephemeral(host: String = "127.0.0.1") -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return nil }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
    }

    /// True when a listening socket could be bound to `host:port` now.
    static func isFree(_ port: Int, host: String = "127.0.0.1") -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var reuse: Int32 = 1  // as NIO binds: a port in TIME_WAIT counts as free
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return false }
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return bound == 0 && listen(fd, 1) == 0
    }
}
