import Foundation
import Testing

@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import ShopFakes
@testable import TestSupport
@testable import TestFixtures

/// `amosync` as an operator runs it: the real executable, its output and exit codes
/// (README, "Command line": 0 success, 1 failure, 2 usage error).
@Suite struct CommandLineTests {
    struct Run {
        var status: Int32
        var output: String
    }

    static func amosync(_ arguments: [String]) async throws -> Run {
        let process = Process()
        process.executableURL = try DaemonProcess.binary()
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let (output, status) = await ProcessOutput.read(of: process, pipe: pipe)
        return Run(status: status, output: output)
    }

    /// A config file and a database with one failed order (pipeline 3177727).
    static func failedOrder(in dir: TempDir) async throws -> (path: String, json: JSONValue, store: SQLiteStore, id: Int64) {
        let json = testConfig(fake: StaticFake(), dir: dir)
        let path = dir.file("config.json")
        try json.canonicalData.write(to: URL(fileURLWithPath: path))
        let store = try SQLiteStore(path: dir.file("queue.sqlite3"))
        let input = sampleOrder(id: "R-1")
        let mapper = Mapper(config: try Config.parse(json.canonicalData, environment: [:]))
        let id = try await store.enqueue(.versioned(try mapper.mapOrder(input), input: input)).jobID
        let claimed = try await store.claimBatch(limit: 1, leaseFor: 60)
        try await store.finish(claimed.map { ($0, .failed, Attempt(at: Date(), durationMs: 1, outcome: .failed, error: "refused")) })
        return (path, json, store, id)
    }

    /// An operator fixes the pipeline in the config and retries: the job is mapped again with the
    /// new config; `--keep-plan` keeps the stored one.
    @Test func jobsRetryRemapsWithTheCurrentConfig() async throws {
        let dir = TempDir()
        var (path, json, store, id) = try await Self.failedOrder(in: dir)
        #expect(try await store.job(id)?.plan.lead?.pipelineID == 3_177_727)
        json.set("orders.pipeline_id", 4_242)
        try json.canonicalData.write(to: URL(fileURLWithPath: path))

        let retried = try await Self.amosync(["jobs", "retry", "\(id)", "--config", path])
        #expect(retried.status == 0, "\(retried.output)")
        #expect(retried.output.contains("re-mapped with the current config"), "\(retried.output)")
        let job = try #require(try await store.job(id))
        #expect(job.state == .queued)
        #expect(job.attempts == 0)
        #expect(job.plan.lead?.pipelineID == 4_242)

        let again = try await Self.amosync(["jobs", "retry", "\(id)", "--config", path])
        #expect(again.status == 0)
        #expect(again.output.contains("only failed or cancelled jobs can be retried"), "\(again.output)")
    }

    @Test func keepPlanRetriesWithTheStoredPlan() async throws {
        let dir = TempDir()
        var (path, json, store, id) = try await Self.failedOrder(in: dir)
        json.set("orders.pipeline_id", 4_242)
        try json.canonicalData.write(to: URL(fileURLWithPath: path))
        let run = try await Self.amosync(["jobs", "retry", "\(id)", "--keep-plan", "--config", path])
        #expect(run.status == 0, "\(run.output)")
        #expect(try await store.job(id)?.plan.lead?.pipelineID == 3_177_727)
    }

    /// Exit codes: a usage error is 2 and names the option; a failure is 1 and says why.
    /// `amosync reconcile` lists the shop page by page and queues what amosync never received;
    /// `amosync check --fix` turns on the webhook the shop switched off.
    @Test func reconcileQueuesWhatTheShopHasAndCheckFixTurnsItsWebhookOn() async throws {
        let shop = try await RunningShop.start()
        await shop.woo.seed(150, modifiedAt: Date().addingTimeInterval(-600))
        await shop.woo.subscribe(URL(string: "https://amosync.shop.example/v1/hooks/woo")!, secret: RunningShop.webhookSecret)
        await shop.woo.setHookStatus("order.created", "disabled")
        let dir = TempDir()
        var json = testConfig(fake: StaticFake(), dir: dir)
        json.set("sources", ["woo": shop.source(statusBack: [:], reconcileMinutes: 10)])
        let path = dir.file("config.json")
        try json.canonicalData.write(to: URL(fileURLWithPath: path))

        let first = try await Self.amosync(["reconcile", "woo", "--config", path])
        #expect(first.status == 0, "\(first.output)")
        #expect(first.output.contains("page 1: 100 listed, 100 new"), "\(first.output)")
        #expect(first.output.contains("150 new and 0 status change(s) queued, 0 already here"), "\(first.output)")
        let store = try SQLiteStore(path: dir.file("queue.sqlite3"))
        #expect(try await store.stats().counts[.queued] == 150)
        let again = try await Self.amosync(["reconcile", "woo", "--config", path])
        #expect(again.output.contains("0 new and 0 status change(s) queued, 150 already here"), "\(again.output)")
        #expect(try await store.stats().counts[.queued] == 150)
        let unknown = try await Self.amosync(["reconcile", "nope", "--config", path])
        #expect(unknown.status == 1)
        #expect(unknown.output.contains("no source named nope (sources: woo)"), "\(unknown.output)")
        let badSince = try await Self.amosync(["reconcile", "woo", "--since", "yesterday", "--config", path])
        #expect(badSince.status == 2)
        #expect(badSince.output.contains("--since: expected an ISO 8601 time"), "\(badSince.output)")

        let check = try await Self.amosync(["check", "--fix", "--config", path])
        #expect(check.output.contains("webhook 7 (order.created) was disabled, now active"), "\(check.output)")
        #expect(check.output.contains("webhook 8 (order.updated) is active"), "\(check.output)")
        #expect(!check.output.contains(RunningShop.consumerSecret))
        #expect(await shop.woo.hookStatus("order.created") == "active")
    }

    @Test func exitCodesAreTheDocumentedOnes() async throws {
        let dir = TempDir()
        let (path, _, _, id) = try await Self.failedOrder(in: dir)

        let shown = try await Self.amosync(["jobs", "show", "\(id)", "--config", path])
        #expect(shown.status == 0)
        #expect(shown.output.contains("refused"), "the failed attempt's error: \(shown.output)")

        let missing = try await Self.amosync(["jobs", "show", "99999", "--config", path])
        #expect(missing.status == 1)
        #expect(missing.output.contains("no job 99999"), "\(missing.output)")

        let badState = try await Self.amosync(["jobs", "list", "--state", "lost", "--config", path])
        #expect(badState.status == 2)
        #expect(badState.output.contains("'lost' is invalid for '--state <state>'"), "\(badState.output)")
        #expect(
            ["queued", "running", "done", "failed", "cancelled", "skipped"].allSatisfy { badState.output.contains("- \($0)") },
            "the allowed values: \(badState.output)")

        let badLevel = try await Self.amosync(["serve", "--log-level", "loud", "--config", path])
        #expect(badLevel.status == 2, "a usage error, before anything starts: \(badLevel.output)")
        #expect(badLevel.output.contains("'loud' is invalid for '--log-level"), "\(badLevel.output)")

        let badSince = try await Self.amosync(["jobs", "list", "--since", "yesterday", "--config", path])
        #expect(badSince.status == 2)
        #expect(badSince.output.contains("--since"), "\(badSince.output)")

        let unknown = try await Self.amosync(["jobs", "list", "--colour", "--config", path])
        #expect(unknown.status == 2)
        #expect(unknown.output.contains("--colour"), "\(unknown.output)")

        var broken = testConfig(fake: StaticFake(), dir: dir)
        broken.set("worker.batch_size", 500)
        let brokenPath = dir.file("broken.json")
        try broken.canonicalData.write(to: URL(fileURLWithPath: brokenPath))
        let check = try await Self.amosync(["check", "--offline", "--config", brokenPath])
        #expect(check.status == 1)
        #expect(check.output.contains("worker.batch_size"), "the key path: \(check.output)")

        let fine = try await Self.amosync(["check", "--offline", "--config", path])
        #expect(fine.status == 0, "\(fine.output)")
    }
}
