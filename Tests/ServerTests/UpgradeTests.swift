import AmoAPI
import Foundation
import Testing
@testable import AmoCRMFake
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import TestSupport
@testable import TestFixtures

/// A queue an older version wrote is migrated and drained exactly like a fresh one: the same
/// customer keys, so no duplicate contact; values today's validation refuses are never sent.
@Suite struct UpgradeTests {
    @Test func anOldQueueDrainsWithOneContactPerCustomerAndNoInvalidValue() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let dir = TempDir()
        try Fixtures.data("old-queue/queue-2026-11-30.sqlite3").write(to: URL(fileURLWithPath: dir.file("queue.sqlite3")))
        let daemon = try await RunningDaemon.start(fake: fake, dir: dir)
        try await daemon.waitIdle(timeout: .seconds(90))
        let jobs = try await daemon.store.list(
            {
                var f = JobFilter(); f.limit = 1000; return f
            }())
        #expect(jobs.count == 181)
        let state = await fake.state.snapshot()
        let contacts = try (state["contacts"]?.arrayValue ?? []).map { try AmoJSON.decode(Contact.self, from: $0) }
        // Every phone and email on exactly one contact: no customer became two.
        var holders: [String: Int] = [:]
        for contact in contacts {
            for key in Set(contact.phones.compactMap(\.text) + contact.emails.compactMap(\.text)) { holders[key, default: 0] += 1 }
        }
        #expect(holders.filter { $0.value > 1 }.isEmpty, "\(holders)")
        #expect(Set(contacts.compactMap(\.name)) == ["Anna", "Clara", "Dmitry", "Elena"], "one contact per customer with a valid key")
        #expect(contacts.count == 4)
        // Nothing today's validation refuses reached amoCRM.
        let sent = contacts.flatMap { $0.phones.compactMap(\.text) + $0.emails.compactMap(\.text) }
        #expect(!sent.contains("+100000"))
        #expect(!sent.contains { $0.unicodeScalars.contains("\u{FFFD}") })
        // Boris's forms became leads without a contact; his site-user job had nothing valid left.
        let boris = jobs.filter { $0.plan.contact == nil && $0.plan.lead != nil }
        #expect(boris.count == 20 && boris.allSatisfy { $0.state == .done })
        #expect(boris.allSatisfy { $0.warnings.contains { $0.hasPrefix("stored phone \"+100000\" is not a valid number today") } })
        let failed = jobs.filter { $0.state == .failed }
        #expect(failed.count == 1 && failed.first?.lastError?.hasPrefix("nothing valid to deliver") == true, "\(failed.map(\.lastError))")
        #expect(jobs.filter { $0.state == .done }.count == 180)
        let leads = state["leads"]?.arrayValue ?? []
        #expect(leads.count == 100, "Anna's, Boris's and Dmitry's forms")
        await daemon.stop()
    }
}
