import Foundation
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import TestSupport
@testable import TestFixtures

/// One client cannot take what other shops need: connections per address, timers a trickle
/// does not reset, and a per-address submission table that is bounded and never forgets an
/// address over its budget.
@Suite struct ClientLimitTests {
    @Test func theAddressTableIsBoundedAndNeverForgetsALimitedAddressBeforeItsMinuteEnds() async {
        let table = IPRateLimit(capacity: 100)
        let start = ContinuousClock.now
        #expect(await table.check("limited", limit: 2, now: start) == nil)
        #expect(await table.check("limited", limit: 2, now: start) == nil)
        #expect(await table.check("limited", limit: 2, now: start) == 60)
        // 10,000 new addresses, as through a trusted proxy's X-Forwarded-For: each gets its budget,
        // the table stays bounded (100 open entries, at most 100 held ones).
        for index in 0..<10_000 {
            #expect(await table.check("visitor-\(index)", limit: 2, now: start + .milliseconds(index)) == nil)
            #expect(await table.count <= 200)
        }
        #expect(await table.check("limited", limit: 2, now: start + .seconds(30)) == 30, "still over its budget")
        #expect(await table.check("limited", limit: 2, now: start + .seconds(60)) == nil, "its minute is over")
    }

    @Test func whenEveryRememberedAddressIsOverItsBudgetANewOneWaits() async {
        let table = IPRateLimit(capacity: 2)
        let start = ContinuousClock.now
        for key in ["a", "b", "c", "d"] { #expect(await table.check(key, limit: 1, now: start) == nil) }
        #expect(await table.count == 4, "two open, two held")
        #expect(await table.check("e", limit: 1, now: start + .seconds(10)) == 50, "nothing may be forgotten")
        for key in ["a", "b", "c", "d"] { #expect(await table.check(key, limit: 1, now: start + .seconds(10)) == 50) }
        #expect(await table.check("e", limit: 1, now: start + .seconds(60)) == nil, "a minute later they are gone")
    }

    @Test func visitorsWithinTheirBudgetMakeRoomForNewOnes() async {
        let table = IPRateLimit(capacity: 10)
        let start = ContinuousClock.now
        for index in 0..<1_000 {
            #expect(await table.check("visitor-\(index)", limit: 5, now: start + .milliseconds(index)) == nil)
        }
        #expect(await table.count == 10)
    }

    @Test func anIPv6ClientCountsByItsNetwork() {
        #expect(CIDR.clientKey("2001:db8:1:2:aaaa::1") == CIDR.clientKey("2001:db8:1:2:bbbb::2"))
        #expect(CIDR.clientKey("2001:db8:1:2::1") != CIDR.clientKey("2001:db8:1:3::1"))
        #expect(CIDR.clientKey("::ffff:198.51.100.7") == "198.51.100.7")
        #expect(CIDR.clientKey("198.51.100.7") == "198.51.100.7")
        #expect(CIDR.clientKey("not an address") == nil)
    }

    @Test func oneAddressCannotHoldTheConnectionsOtherShopsNeed() async throws {
        let daemon = try await RunningDaemon.start(fake: StaticFake()) { json in
            json.set("server.max_connections_per_address", 3)
        }
        let held = try (0..<3).map { _ in try RawClient(port: daemon.port, from: "127.0.0.1") }
        for client in held { client.send("POST /v1/orders HTTP/1.1\r\nHost: x\r\n") }  // heads never finished
        let fourth = try RawClient(port: daemon.port, from: "127.0.0.1")
        let refused = await fourth.readUntilClosed()
        #expect(refused.closed && refused.text.isEmpty, "the fourth connection of one address is closed at once")
        // Another address is served while the first one holds its share.
        let other = try RawClient(port: daemon.port, from: "127.0.0.2")
        let body = sampleOrder(id: "other-shop").canonicalString
        other.send(
            "POST /v1/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(RunningDaemon.intakeToken)\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        #expect(await other.readStatus() == 202)
        withExtendedLifetime(held) {}
        await daemon.stop()
    }

    @Test func aTrickleDoesNotKeepAnUnfinishedHeadAlive() async throws {
        let daemon = try await RunningDaemon.start(fake: StaticFake()) { json in json.set("server.header_timeout_seconds", 1) }
        let client = try RawClient(port: daemon.port, receiveTimeout: 10)
        client.send("POST /v1/orders HTTP/1.1\r\nHost: x\r\nX-Pad: ")
        // One byte every 100 ms for up to 5 s: bytes keep coming, the head never ends.
        let closed = await client.trickle("a", times: 50, every: .milliseconds(100))
        #expect(closed, "closed by the header timeout while the client still trickled")
        await daemon.stop()
    }
}
