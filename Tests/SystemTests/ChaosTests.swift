import Foundation
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import AmoCRMFake
@testable import AmoSyncCLI
@testable import TestSupport
@testable import TestFixtures

/// The daemon as a real process, killed and stopped in the middle of a drain.
@Suite(.serialized) struct ChaosTests {
    static let orders = 300
    static let customers = 200

    /// 300 orders from 200 customers, queued before the first start.
    static func prepare(fake: some FakeAccount, dir: TempDir, batchSize: Int = 10) async throws -> String {
        var json = testConfig(fake: fake, dir: dir)
        json.set(
            "worker",
            [
                "batch_size": .number(JSONNumber(batchSize)), "concurrency": 2, "lease_seconds": 5, "backoff_base_seconds": 0.2,
                "backoff_max_seconds": 1,
                "max_attempts": 50,
            ])
        json.set("amocrm.timeout_seconds", 2)
        // Strict arrivals (an allowance of the whole timeout): what these tests check is the
        // budget shared across restarts, not how far a starved test machine delays a send.
        json.set("amocrm.arrival_allowance_ms", 2000)
        let path = dir.file("config.json")
        try json.canonicalData.write(to: URL(fileURLWithPath: path))
        let mapper = Mapper(config: try Config.parse(json.canonicalData, environment: [:]))
        let store = try SQLiteStore(path: dir.file("queue.sqlite3"))
        _ = try await store.enqueue(
            try (0..<orders).map { index in
                let customer = index % customers
                let input = sampleOrder(
                    id: "C-\(index)", phone: "+7 912 300 \(String(format: "%04d", customer))", email: "c\(customer)@example.org")
                return .versioned(try mapper.mapOrder(input), input: input)
            })
        return path
    }

    /// Exactly one lead and one note per order, one contact per customer, every job done.
    static func verify(fake: RunningFake, dir: TempDir) async throws {
        try await verify(state: await fake.state.snapshot(), dir: dir)
    }

    static func verify(state: JSONValue, dir: TempDir) async throws {
        let leads = state["leads"]?.arrayValue ?? []
        let keys = leads.compactMap { lead in
            lead["custom_fields_values"]?.arrayValue?.first { $0["field_name"] == "amosync_key" }?.value(at: "values.0.value")?.stringValue
        }
        #expect(leads.count == orders)
        #expect(Set(keys).count == orders, "every order has exactly one lead")
        let notes = state["notes"]?.arrayValue ?? []
        #expect(notes.count == orders)
        #expect(Set(notes.compactMap { $0["entity_id"]?.intValue }).count == orders, "one note per lead")
        let contacts = state["contacts"]?.arrayValue ?? []
        let phones = contacts.flatMap { customFields($0)["PHONE"] ?? [] }
        #expect(contacts.count == customers)
        #expect(Set(phones).count == phones.count, "no two contacts share a phone")
        let store = try SQLiteStore(path: dir.file("queue.sqlite3"))
        let stats = try await store.stats()
        #expect(stats.counts[.done] == orders)
        #expect(stats.counts[.failed] == 0)
    }

    static func waitUntilDrained(_ dir: TempDir, timeout: Duration = .seconds(120)) async throws {
        try await waitUntilIdle(try SQLiteStore(path: dir.file("queue.sqlite3")), timeout: timeout)
    }

    /// Five `kill -9`s at random moments of the drain, each followed by an immediate restart:
    /// nothing lost, nothing twice, and no 429 (a new process counts the dead one's requests).
    /// The fake runs as its own process, as amoCRM would: inside the loaded test process its
    /// arrival clock lagged, and it once counted a 429 that amoCRM's would not have.
    @Test func killedFiveTimesDuringTheDrainNothingIsLostOrDuplicatedAndNothingThrottled() async throws {
        let dir = TempDir()
        let fake = try FakeAmoProcess.amosync(latencyMs: 30, log: dir.file("fake.log"))
        defer { fake.stop() }
        let config = try await Self.prepare(fake: fake, dir: dir)
        let store = try SQLiteStore(path: dir.file("queue.sqlite3"))
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5 {
            let daemon = try DaemonProcess(config: config, log: dir.file("daemon.log"))
            let before = try await store.stats().counts[.done] ?? 0
            // Kill at a random moment once it is delivering.
            try await eventually(timeout: .seconds(60)) { await (try store.stats().counts[.done] ?? 0) > before }
            try await Task.sleep(for: .milliseconds(Int64.random(in: 0...1500, using: &generator)))
            daemon.kill()
        }
        await #expect((try store.stats().counts[.done] ?? 0) < Self.orders, "the kills happened during the drain")
        let daemon = try DaemonProcess(config: config, log: dir.file("daemon.log"))
        try await Self.waitUntilDrained(dir)
        #expect(await daemon.terminate(timeout: .seconds(15)) == 0)
        try await Self.verify(state: try await fake.snapshot(), dir: dir)
        #expect(try await fake.requestStats().throttled == 0, "no 429 across the restarts")
    }

    @Test func sigtermDuringTheDrainExitsCleanlyAndResumesWithoutRepeats() async throws {
        let fake = try await RunningFake.start(overHTTP: true, latencyMs: 150)
        defer { fake.stop() }
        let dir = TempDir()
        let config = try await Self.prepare(fake: fake, dir: dir, batchSize: 25)
        let store = try SQLiteStore(path: dir.file("queue.sqlite3"))
        let first = try DaemonProcess(config: config, log: dir.file("daemon.log"))
        try await eventually(timeout: .seconds(60)) { await (try store.stats().counts[.done] ?? 0) >= 20 }
        #expect(await first.terminate(timeout: .seconds(10)) == 0, "SIGTERM exits 0 within 10 s")
        let log = try String(contentsOfFile: dir.file("daemon.log"), encoding: .utf8)
        #expect(
            !log.split(separator: "\n").contains {
                $0.hasPrefix("error") || $0.contains("job failed") || $0.contains("amoCRM request failed")
            },
            "a stop is not a failure: \(log)")
        await #expect(try store.stats().counts[.running] == 0, "leases released")
        await #expect((try store.stats().counts[.done] ?? 0) < Self.orders)
        let second = try DaemonProcess(config: config, log: dir.file("daemon.log"))
        try await Self.waitUntilDrained(dir)
        #expect(await second.terminate(timeout: .seconds(10)) == 0)
        try await Self.verify(fake: fake, dir: dir)
    }
}

/// `serve` on a port another process holds: it says which setting to change and exits 1 at
/// once (it used to hang, then exit 0 after its 20 s shutdown deadline).
@Suite struct TakenPortTests {
    @Test(arguments: ["server.port", "server.metrics"])
    func aTakenPortStopsServeWithTheKeyNamed(key: String) async throws {
        let holder = try RawListener()
        let free = try RawListener()
        let freePort = free.port
        free.close()
        let dir = TempDir()
        var json = testConfig(fake: StaticFake(), dir: dir)
        json.set("server.port", .number(JSONNumber(key == "server.port" ? holder.port : freePort)))
        json.set("server.metrics", .string("127.0.0.1:\(key == "server.metrics" ? holder.port : 0)"))
        let path = dir.file("config.json")
        try json.canonicalData.write(to: URL(fileURLWithPath: path))
        let daemon = try DaemonProcess(config: path, log: dir.file("daemon.log"))
        let status = await daemon.exitStatus(within: .seconds(30))
        #expect(status == 1)
        let log = try String(contentsOfFile: dir.file("daemon.log"), encoding: .utf8)
        let setting = key == "server.port" ? "server.port or --port" : "server.metrics"
        #expect(log.contains("port \(holder.port) is already in use (set \(setting))"), "\(log)")
    }
}

/// Helpers for tests that run `amosync` commands as processes.
enum ProcessOutput {
    /// Reads everything, then reaps the process with `waitpid` itself, on a thread of its own
    /// (off Swift's pool): its output and exit status (128 + N after signal N). Not
    /// `Process.waitUntilExit()`: corelibs learns of an exit through a descriptor every child
    /// inherits, and a Chromium helper that outlived the browser once made it miss the exit
    /// and spin forever on a zombie.
    static func read(of process: Process, pipe: Pipe) async -> (output: String, status: Int32) {
        await withCheckedContinuation { continuation in
            Thread {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                var status: Int32 = 0
                var reaped: pid_t = -1
                repeat { reaped = waitpid(process.processIdentifier, &status, 0) } while reaped == -1 && errno == EINTR
                let code: Int32
                if reaped == process.processIdentifier {
                    code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
                } else {
                    // Foundation reaped it first: then it knows the status.
                    process.waitUntilExit()
                    code = process.terminationStatus
                }
                continuation.resume(returning: (String(decoding: data, as: UTF8.self), code))
            }.start()
        }
    }
}

/// Shutdown's grace running out while amoCRM has not answered.
@Suite struct CutOffTests {
    @Test func aCancelledRequestIsACancellationNotATransportError() async throws {
        let silent = try RawListener()  // accepts connections, never answers
        let request = Task {
            try await URLSessionTransport().send(
                OutgoingRequest(
                    method: "POST", url: URL(string: "http://127.0.0.1:\(silent.port)/api/v4/leads")!,
                    body: Data("[]".utf8), timeout: 3600))
        }
        request.cancel()
        await #expect(throws: CancellationError.self) { try await request.value }
    }

    /// Jobs whose requests the grace limit cuts off are released: no attempt spent, no
    /// "failed" line, the log says so.
    @Test func jobsCutOffAtShutdownAreReleasedWithoutSpendingAnAttempt() async throws {
        let silent = try RawListener()
        let capture = LogCapture()
        let daemon = try await RunningDaemon.start(fake: SilentAccount(port: silent.port), logger: capture.logger()) { json in
            json.set("amocrm.timeout_seconds", 300)
        }
        #expect(try await daemon.send("/v1/orders", json: sampleOrder(id: "cut-off")).status == 202)
        try await eventually { try await daemon.store.list(JobFilter()).first?.state == .running }
        await daemon.stop()  // the worker waits its grace (3 s in tests), then cancels the batch
        let job = try await #require(try daemon.store.list(JobFilter()).first)
        #expect(job.state == .queued)
        #expect(job.attempts == 0)
        await #expect(try daemon.store.attempts(of: job.id).map(\.outcome) == [.interrupted])
        #expect(capture.all.contains { $0.contains("jobs released without spending an attempt") })
        #expect(!capture.all.contains { $0.hasPrefix("error") || $0.contains("amoCRM request failed") }, "\(capture.all)")
    }
}

/// An account address where a socket accepts and nothing ever answers.
struct SilentAccount: FakeAccount {
    let port: Int
    var baseURL: String { "http://127.0.0.1:\(port)" }
    var token: String { "silent-token" }
}
