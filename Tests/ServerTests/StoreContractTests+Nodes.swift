import Foundation
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import TestSupport
@testable import TestFixtures

/// The delivery lease and the hand-over of jobs between nodes (PostgreSQL only: one server has
/// no other node).
extension StoreContractTests {
    @Test func oneNodeHoldsTheLeaseUntilItExpiresOrIsGivenUp() async throws {
        let url = try await PostgresServer.database()
        let a = try await PostgresStore.open(url: url)
        let b = try await PostgresStore.open(url: url)
        #expect(try await a.holdLease("delivery:x", node: "a:1", seconds: 10).held)
        let refused = try await b.holdLease("delivery:x", node: "b:2", seconds: 10)
        #expect(!refused.held && refused.holder == "a:1" && refused.remaining > 5)
        #expect(try await a.holdLease("delivery:x", node: "a:1", seconds: 10).held, "renewed by its holder")
        try await a.releaseLease("delivery:x")
        #expect(try await b.holdLease("delivery:x", node: "b:2", seconds: 0).held, "given up: the next ask takes it")
        // Expired (0 s): anyone takes it.
        #expect(try await a.holdLease("delivery:x", node: "a:1", seconds: 10).held)
        #expect(try await b.holdLease("delivery:y", node: "b:2", seconds: 10).held, "one lease per account")
        #expect(try await b.liveProcesses(among: [a.processID, b.processID, 12345]) == [a.processID, b.processID])
    }

    /// The node that takes the lease over makes the jobs the other node's claims hold claimable
    /// soon; its own claims keep their leases.
    @Test func takingOverShortensOnlyTheOtherNodesJobLeases() async throws {
        let clock = TestClock()
        let url = try await PostgresServer.database()
        let old = try await PostgresStore.open(url: url, now: { clock.now })
        let new = try await PostgresStore.open(url: url, now: { clock.now })
        let mapper = Mapper(config: MappingFixtures.config())
        let orders = try (1...4).map { index -> NewJob in
            let input: JSONValue = ["id": .string("H-\(index)"), "customer": ["phone": "89125550102"], "total": 10]
            return .versioned(try mapper.mapOrder(input), input: input)
        }
        _ = try await old.enqueue(orders)
        let theirs = try await old.claimBatch(limit: 2, leaseFor: 120)
        let mine = try await new.claimBatch(limit: 2, leaseFor: 120)
        #expect(try await new.shortenLeasesOfOtherNodes(to: 30) == 2)
        clock.advance(31)
        let reclaimed = try await new.claimBatch(limit: 10, leaseFor: 120)
        #expect(Set(reclaimed.map(\.id)) == Set(theirs.map(\.id)), "the old node's jobs, not this node's own")
        #expect(try await new.renew(mine, leaseFor: 120).isEmpty, "its own claims still hold")
    }
}
