/// A few connections to one database, lent one at a time: a body waits for a free one.
actor PGPool {
    private var idle: [PGConnection]
    private var waiting: [CheckedContinuation<PGConnection, Never>] = []

    init(_ connections: [PGConnection]) { idle = connections }

    static func open(_ url: String, size: Int) async throws -> PGPool {
        var connections: [PGConnection] = []
        for _ in 0..<max(1, size) { connections.append(try await PGConnection.connect(url)) }
        return PGPool(connections)
    }

    /// Runs `body` with a connection of its own.
    func with<T: Sendable>(_ body: @Sendable (PGConnection) async throws -> T) async throws -> T {
        let connection = await take()
        defer { give(connection) }
        return try await body(connection)
    }

    private func take() async -> PGConnection {
        if let connection = idle.popLast() { return connection }
        return await withCheckedContinuation { waiting.append($0) }
    }

    private func give(_ connection: PGConnection) {
        if waiting.isEmpty { idle.append(connection) } else { waiting.removeFirst().resume(returning: connection) }
    }
}
