import Foundation
import Testing

@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import TestSupport

/// `amosync.socket`: the listening socket outlives the daemon, so an order posted while one
/// daemon stops and the next starts waits in the socket's backlog and is answered by the next.
@Suite struct SocketActivationTests {
    @Test func anOrderPostedBetweenTwoDaemonsIsAnsweredByTheSecond() async throws {
        let socket = try RawListener()  // stands for systemd, which holds the socket across restarts
        defer { socket.close() }
        let dir = TempDir()
        let first = try await RunningDaemon.start(fake: StaticFake(), dir: dir, options: { $0.inheritedSocket = dup(socket.fd) })
        #expect(first.port == socket.port, "intake listens on the passed socket, not on server.port")
        #expect(try await first.send("/v1/orders", json: sampleOrder(id: "before")).status == 202)
        await first.stop()

        // Nobody accepts now; the connection is queued by the kernel, not refused.
        let url = URL(string: "http://127.0.0.1:\(socket.port)/v1/orders")!
        let between = Task { () async throws -> Int in
            try await URLSessionTransport().send(
                OutgoingRequest(
                    method: "POST", url: url,
                    headers: ["Authorization": "Bearer \(RunningDaemon.intakeToken)", "Content-Type": "application/json"],
                    body: sampleOrder(id: "between").canonicalData, timeout: 30)
            ).status
        }
        let second = try await RunningDaemon.start(fake: StaticFake(), dir: dir, options: { $0.inheritedSocket = dup(socket.fd) })
        #expect(try await between.value == 202)
        let ids = try await second.store.list(JobFilter()).compactMap { $0.input["id"]?.stringValue }
        #expect(Set(ids) == ["before", "between"])
        await second.stop()
    }

    @Test func onlyTheProcessNamedByListenPIDTakesTheSocket() {
        #expect(SystemdSocket.inherited(environment: ["LISTEN_PID": "1", "LISTEN_FDS": "1"]) == nil)
        #expect(SystemdSocket.inherited(environment: ["LISTEN_PID": "\(getpid())", "LISTEN_FDS": "0"]) == nil)
        #expect(SystemdSocket.inherited(environment: [:]) == nil)
    }
}
