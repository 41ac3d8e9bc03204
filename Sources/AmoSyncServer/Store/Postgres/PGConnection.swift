import CLibPQ
import Foundation

/// One connection to PostgreSQL through libpq, the server's own client library (TLS as the URL
/// asks, `sslmode=require` …, through the system's OpenSSL). libpq's calls block, so each
/// connection runs them on a thread of its own; a body given to `read` or `write` runs there
/// whole, like a GRDB database access, and sees the connection through `PGSession`.
package final class PGConnection: @unchecked Sendable {
    private let queue: DispatchQueue
    /// Only touched on `queue`.
    private var session: PGSession

    private init(session: PGSession, label: String) {
        self.session = session
        self.queue = DispatchQueue(label: "amosync.postgres.\(label)")
    }

    /// Connects with a `postgres://user:password@host:port/database?sslmode=…` URL (or a libpq
    /// key=value string). The error names the server, never the password.
    package static func connect(_ url: String) async throws -> PGConnection {
        let session = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try PGSession.open(url) }) }
        }
        return PGConnection(session: session, label: session.target)
    }

    /// Runs `body` on the connection's thread, outside a transaction.
    package func read<T: Sendable>(_ body: @escaping @Sendable (PGSession) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [self] in continuation.resume(with: Result { try session.usable().run(body) }) }
        }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    /// A connection the server dropped since its last use (a restart, an outage) fails at `BEGIN`,
    /// before anything of the transaction was sent: it is opened again and the transaction goes on.
    package func write<T: Sendable>(_ body: @escaping @Sendable (PGSession) throws -> T) async throws -> T {
        try await read { session in
            do { try session.execute("BEGIN") } catch let error as PGError where error.kind == .connection {
                try session.usable().execute("BEGIN")
            }
            do {
                let result = try body(session)
                try session.execute("COMMIT")
                return result
            } catch {
                try? session.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// `SHOW server_version_num` as libpq reports it (`150018` for 15.18).
    package var serverVersion: Int { get async throws { try await read { $0.serverVersion } } }

    package func close() { queue.sync { session.close() } }
}

/// The connection as a body given to `PGConnection.read` or `write` uses it, on the
/// connection's thread.
package final class PGSession: @unchecked Sendable {
    private var connection: OpaquePointer?
    /// `host:port/database`, for errors and logs.
    let target: String

    private init(connection: OpaquePointer, target: String) {
        self.connection = connection
        self.target = target
    }

    /// A server that went away is noticed within seconds, not after TCP's hours: a connect
    /// gives up after 5 s and a silent connection after 10 s, unless the URL says otherwise.
    static let defaults = [
        ("connect_timeout", "5"), ("tcp_user_timeout", "10000"), ("keepalives_idle", "5"), ("keepalives_interval", "2"),
        ("keepalives_count", "3"), ("application_name", "amosync"),
    ]

    static func withDefaults(_ url: String) -> String {
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else { return url }
        let missing = defaults.filter { !url.contains("\($0.0)=") }.map { "\($0.0)=\($0.1)" }
        guard !missing.isEmpty else { return url }
        return url + (url.contains("?") ? "&" : "?") + missing.joined(separator: "&")
    }

    static func open(_ url: String) throws -> PGSession {
        guard let connection = PQconnectdb(withDefaults(url)) else {
            throw PGError(kind: .connection, message: "libpq could not allocate a connection")
        }
        func text(_ pointer: UnsafeMutablePointer<CChar>?) -> String { pointer.map { String(cString: $0) } ?? "?" }
        let target = "\(text(PQhost(connection))):\(text(PQport(connection)))/\(text(PQdb(connection)))"
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.text(PQerrorMessage(connection))
            PQfinish(connection)
            throw PGError(kind: .connection, message: "cannot connect to \(target): \(message)")
        }
        // Text results in UTC, a commit that returns is on disk, and no notices on stderr, whatever the server's defaults.
        let session = PGSession(connection: connection, target: target)
        try session.execute("SET TIME ZONE 'UTC'; SET synchronous_commit = on; SET client_min_messages = warning")
        return session
    }

    /// Itself, after one reconnect when the connection broke (a server restart).
    func usable() throws -> PGSession {
        guard let connection else { throw PGError(kind: .connection, message: "the connection to \(target) is closed") }
        if PQstatus(connection) != CONNECTION_OK {
            PQreset(connection)
            guard PQstatus(connection) == CONNECTION_OK else {
                throw PGError(kind: .connection, message: "lost the connection to \(target): \(Self.text(PQerrorMessage(connection)))")
            }
        }
        return self
    }

    func run<T>(_ body: (PGSession) throws -> T) throws -> T { try body(self) }

    var serverVersion: Int { connection.map { Int(PQserverVersion($0)) } ?? 0 }

    /// One statement with `$1 …` parameters sent apart from the SQL (never spliced into it).
    @discardableResult
    package func query(_ sql: String, _ parameters: [String?] = []) throws -> [PGRow] {
        guard let connection else { throw PGError(kind: .connection, message: "the connection to \(target) is closed") }
        let copies = parameters.map { $0.flatMap { strdup($0) } }
        defer { copies.forEach { free($0) } }
        let pointers: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } }
        let result = pointers.withUnsafeBufferPointer { buffer in
            PQexecParams(connection, sql, Int32(parameters.count), nil, buffer.baseAddress, nil, nil, 0)
        }
        defer { PQclear(result) }
        return try rows(result)
    }

    /// Statements without parameters, several at once (a migration).
    package func execute(_ sql: String) throws {
        guard let connection else { throw PGError(kind: .connection, message: "the connection to \(target) is closed") }
        let result = PQexec(connection, sql)
        defer { PQclear(result) }
        _ = try rows(result)
    }

    private func rows(_ result: OpaquePointer?) throws -> [PGRow] {
        let status = result.map(PQresultStatus) ?? PGRES_FATAL_ERROR
        switch status {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY: return []
        case PGRES_TUPLES_OK: break
        default:
            let broken = connection.map { PQstatus($0) != CONNECTION_OK } ?? true
            let state = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) }
            let message = result.map { Self.text(PQresultErrorMessage($0)) } ?? Self.text(connection.flatMap { PQerrorMessage($0) })
            throw PGError(kind: broken ? .connection : .query, sqlState: state, message: message.isEmpty ? "\(status)" : message)
        }
        guard let result else { return [] }
        let columnCount = Int(PQnfields(result))
        var columns: [String: Int] = [:]
        for index in 0..<columnCount { columns[String(cString: PQfname(result, Int32(index)))] = index }
        return (0..<Int(PQntuples(result))).map { row in
            PGRow(
                columns: columns,
                values: (0..<columnCount).map { column in
                    PQgetisnull(result, Int32(row), Int32(column)) == 1
                        ? nil : String(cString: PQgetvalue(result, Int32(row), Int32(column)))
                })
        }
    }

    func close() {
        if let connection { PQfinish(connection) }
        connection = nil
    }

    deinit { close() }

    private static func text(_ pointer: UnsafePointer<CChar>?) -> String {
        pointer.map { String(cString: $0) }?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }
}
