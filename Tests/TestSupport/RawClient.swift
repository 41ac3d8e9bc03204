import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// A plain TCP client on loopback for what URLSession will not send: broken chunking, short
/// bodies, unfinished headers, idle connections.
final class RawClient {
    let fd: Int32

    /// `from`: the loopback address to connect from (127.0.0.2 is another client than 127.0.0.1).
    init(port: Int, receiveTimeout seconds: Int = 15, from source: String? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = inet_addr(source)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else { throw Timeout(description: "bind to \(source) failed: errno \(errno)") }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Timeout(description: "connect failed: errno \(errno)") }
        // A safety net against a hang, not a synchronization: reads return on close or answer.
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) {
        _ = text.utf8CString.withUnsafeBufferPointer { Glibc.send(fd, $0.baseAddress, $0.count - 1, Int32(MSG_NOSIGNAL)) }
    }

    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Sends `piece` `times` times, `every` apart (a slow client's pace); true as soon as the
    /// server has closed the connection (a send fails), false when every piece went out.
    func trickle(_ piece: String, times: Int, every interval: Duration) async -> Bool {
        for _ in 0..<times {
            let sent = piece.utf8CString.withUnsafeBufferPointer { Glibc.send(fd, $0.baseAddress, $0.count - 1, Int32(MSG_NOSIGNAL)) }
            if sent < 0 { return true }
            var byte: UInt8 = 0
            if recv(fd, &byte, 1, Int32(MSG_DONTWAIT)) == 0 { return true }  // closed by the server
            try? await Task.sleep(for: interval)
        }
        return false
    }

    /// Blocking socket reads run on a thread of their own: on Swift's cooperative pool (two
    /// threads here) they would starve the daemon under test.
    private func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in Thread { continuation.resume(returning: work()) }.start() }
    }

    /// Everything until the server closes the connection (or the safety timeout).
    func readUntilClosed() async -> (text: String, closed: Bool) {
        let fd = fd
        return await offPool { Self.readUntilClosed(fd) }
    }

    /// The first response's status line, or nil when the connection closed without one.
    func readStatus() async -> Int? {
        let fd = fd
        return await offPool { Self.readStatus(fd) }
    }

    private static func readUntilClosed(_ fd: Int32) -> (text: String, closed: Bool) {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 { return (String(decoding: data, as: UTF8.self), true) }
            if count < 0 { return (String(decoding: data, as: UTF8.self), false) }
            data += buffer[0..<count]
        }
    }

    private static func readStatus(_ fd: Int32) -> Int? {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: data, as: UTF8.self).contains("\r\n") {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            data += buffer[0..<count]
        }
        let line = String(decoding: data, as: UTF8.self).split(separator: "\r\n").first ?? ""
        return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    }
}
