import Foundation
import Synchronization
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import TestSupport
@testable import TestFixtures

@Suite struct RateLimiterTests {
    /// An allowance longer than any request: the slot is held until one window after the answer.
    @Test func withALongAllowanceARequestInFlightHoldsItsSlot() async throws {
        let clock = ManualTime()
        let limiter = RateLimiter(requestsPerSecond: 2, arrivalAllowance: .seconds(60), clock: clock)
        let first = try await limiter.acquire()
        first.stamp.mark(at: clock.now)
        try await limiter.acquire().stamp.mark(at: clock.now)
        let third = Task { _ = try await limiter.acquire() }
        #expect(await race(third, clock) == .asleep, "two requests in flight: the third waits")
        clock.advance(.milliseconds(1300))
        #expect(await race(third, clock) == .asleep, "in flight for longer than a window: still waits")
        await limiter.release(first)
        clock.advance(.milliseconds(1000))
        #expect(await race(third, clock) == .asleep, "an answered request still counts for one window (1.01 s)")
        clock.advance(.milliseconds(10))
        #expect(await race(third, clock) == .finished)
    }

    /// Slow answers do not hold slots past `sent + allowance + window`: latency does not cap throughput.
    @Test func aSlowRequestFreesItsSlotAfterTheAllowance() async throws {
        let clock = ManualTime()
        let limiter = RateLimiter(requestsPerSecond: 2, margin: .zero, arrivalAllowance: .milliseconds(200), clock: clock)
        try await limiter.acquire().stamp.mark(at: clock.now)
        try await limiter.acquire().stamp.mark(at: clock.now)
        // Neither request is ever answered; the third may go once they must have arrived a window ago.
        let third = Task { _ = try await limiter.acquire() }
        clock.advance(.milliseconds(1190))
        #expect(await race(third, clock) == .asleep, "not before sent + 200 ms + 1 s")
        clock.advance(.milliseconds(10))
        #expect(await race(third, clock) == .finished, "at sent + 200 ms + 1 s")
    }

    /// A granted slot whose request has not left yet (its task not scheduled) is held until it is.
    @Test func aRequestNotYetSentHoldsItsSlot() async throws {
        let clock = ManualTime()
        let limiter = RateLimiter(requestsPerSecond: 1, margin: .zero, arrivalAllowance: .milliseconds(100), clock: clock)
        let first = try await limiter.acquire()
        let second = Task { _ = try await limiter.acquire() }
        clock.advance(.milliseconds(1500))
        #expect(await race(second, clock) == .asleep, "granted 1.5 s ago but never sent: still holding")
        first.stamp.mark(at: clock.now)
        clock.advance(.milliseconds(1090))
        #expect(await race(second, clock) == .asleep, "sent now: held until sent + 100 ms + 1 s")
        clock.advance(.milliseconds(10))
        #expect(await race(second, clock) == .finished)
    }

    /// A fast answer ends the allowance early: the slot is counted from the answer.
    @Test func aFastAnswerIsCountedFromTheAnswer() async throws {
        let clock = ManualTime()
        let limiter = RateLimiter(requestsPerSecond: 1, margin: .zero, arrivalAllowance: .seconds(5), clock: clock)
        let first = try await limiter.acquire()
        first.stamp.mark(at: clock.now)
        clock.advance(.milliseconds(100))
        await limiter.release(first)
        let second = Task { _ = try await limiter.acquire() }
        clock.advance(.milliseconds(990))
        #expect(await race(second, clock) == .asleep, "not before one window after the answer")
        clock.advance(.milliseconds(10))
        #expect(await race(second, clock) == .finished, "one window after the answer, not after the 5 s allowance")
    }

    /// A 429 pauses every acquire until the pause is over.
    @Test func aPauseHoldsEveryAcquire() async throws {
        let clock = ManualTime()
        let limiter = RateLimiter(requestsPerSecond: 7, clock: clock)
        #expect(await limiter.throttled() == .seconds(1))
        let request = Task { _ = try await limiter.acquire() }
        clock.advance(.milliseconds(999))
        #expect(await race(request, clock) == .asleep, "paused for 1 s")
        clock.advance(.milliseconds(1))
        #expect(await race(request, clock) == .finished)
    }

    @Test func throttlingPausesGrowAndConcurrentReportsCountOnce() async {
        let limiter = RateLimiter(requestsPerSecond: 7)
        #expect(await limiter.throttled() == .seconds(1))
        #expect(await limiter.throttled() <= .seconds(1), "a second report during the pause does not double it")
        #expect(await limiter.isPaused)
        #expect(await limiter.pauses == 1)
        #expect(await limiter.arrivalAllowance == RateLimiter.defaultArrivalAllowance * 2, "a 429 means arrivals bunched: more allowance")
    }

    @Test(arguments: [(7.0, 7), (3.5, 3), (0.5, 1)])
    func limits(rps: Double, limit: Int) async { #expect(await RateLimiter(requestsPerSecond: rps).limit == limit) }

    @Test(arguments: [(1, 10.0), (2, 20.0), (5, 160.0), (20, 3600.0)])
    func backoffDoublesUpToTheCap(attempt: Int, expected: Double) {
        let policy = RetryPolicy(base: 10, max: 3600, maxAttempts: 12)
        #expect(policy.delay(afterAttempt: attempt, random: 1) == expected)
        #expect(policy.delay(afterAttempt: attempt, random: 0.5) == expected / 2)
    }

    @Test func sha256KnownVectors() {
        #expect(Hashing.sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Hashing.sha256Hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            Hashing.sha256Hex(Array(String(repeating: "a", count: 1000).utf8))
                == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }
}

final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}

@Suite struct SharedBudgetTests {
    /// An admin command and the daemon on one database share the account's budget. The other
    /// process's requests are in flight (as `record()` leaves them) until they are answered, so
    /// the wait does not depend on how fast this test runs.
    @Test func anotherLiveProcessesRequestsTakeSlots() async throws {
        let dir = TempDir()
        let store = try SQLiteStore(path: dir.file("q.sqlite3"))
        let budget = SharedBudget(store: store)
        // Two requests of another live process (pid 1 is always alive), in flight.
        try await store.database.write { db in
            for _ in 0..<2 {
                try db.execute(sql: "INSERT INTO api_requests (pid, at) VALUES (1, ?)", arguments: [Date().timeIntervalSince1970 + 300])
            }
            // A dead process's request sent 10 s ago, never answered, holds nothing.
            try db.execute(sql: "INSERT INTO api_requests (pid, at) VALUES (999999, ?)", arguments: [Date().timeIntervalSince1970 + 290])
        }
        await #expect(budget.others(window: 1.01, allowance: 0.05) == 2)
        let clock = ManualTime()
        let limiter = RateLimiter(requestsPerSecond: 3, shared: budget, clock: clock)
        _ = try await limiter.acquire()
        let flag = Flag()
        let second = Task {
            _ = try await limiter.acquire()
            flag.set()
        }
        await clock.sleepers(1)  // the second acquire has looked at the budget and waits
        #expect(!flag.isSet, "3 per second: 2 from the other process + 1 of ours")
        // The other process's answers arrived long ago: their slots are free.
        try await store.database.write { db in
            try db.execute(sql: "UPDATE api_requests SET at = ? WHERE pid = 1", arguments: [Date().timeIntervalSince1970 - 5])
        }
        clock.advance(.milliseconds(50))  // its next look
        try await second.value  // free again once the other process's requests are a window old
        #expect(flag.isSet)
    }

    /// A crash and an immediate restart: the dead process's last requests (answered or still in
    /// flight when it died) count for one more window, as amoCRM counts them.
    @Test func aDeadProcessesRecentRequestsCountUntilTheyMustHaveArrivedAndOneWindow() async throws {
        let dir = TempDir()
        let store = try SQLiteStore(path: dir.file("q.sqlite3"))
        let now = Date().timeIntervalSince1970
        try await store.database.write { db in
            try db.execute(sql: "INSERT INTO api_requests (pid, at) VALUES (999999, ?)", arguments: [now - 0.1])  // answered just now
            // sent now
            try db.execute(sql: "INSERT INTO api_requests (pid, at) VALUES (999999, ?)", arguments: [now + SharedBudget.inFlightHorizon])
            try db.execute(sql: "INSERT INTO api_requests (pid, at) VALUES (999999, ?)", arguments: [now - 5])  // answered long ago
            // sent 10 s ago
            try db.execute(
                sql: "INSERT INTO api_requests (pid, at) VALUES (999999, ?)", arguments: [now + SharedBudget.inFlightHorizon - 10])
            // sent 1.5 s ago, never answered: it may have arrived as late as the allowance allows
            try db.execute(
                sql: "INSERT INTO api_requests (pid, at) VALUES (999999, ?)", arguments: [now + SharedBudget.inFlightHorizon - 1.5])
        }
        // Counted at the moment the rows describe, however long this test took to get here.
        let budget = SharedBudget(store: store, clock: FixedDate(Date(timeIntervalSince1970: now)))
        await #expect(budget.others(window: 1.01, allowance: 0.05) == 2, "past the allowance and a window: free")
        await #expect(budget.others(window: 1.01, allowance: 2) == 3, "strict arrivals: held until it must have arrived, and a window")
    }
}
