import ArgumentParser
import Foundation
import AmoSyncCore
import AmoSyncServer
import AmoCRMFake

/// `amosync stats`: queue counts, delivery freshness, credentials.
struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Counts per state, oldest queued job, last delivery, token state.")
    @OptionGroup var options: ConfigOptions
    @Flag(help: "One JSON document.") var json = false

    func run() async throws {
        let (config, store) = try await options.openStore()
        let report = try await StatsReport.collect(config: config, store: store)
        Console.print(json: json, report.json, or: report.text)
    }
}

/// Everything `stats` shows, gathered from the database and the token files.
struct StatsReport: Sendable {
    var stats: QueueStats
    var authMode: String
    var authState: String
    var authProblem: String?
    /// The account cannot be used (402 not paid, 403 blocked): delivery is paused.
    var accountProblem: String?
    /// Background work that fails and is retried (the contact index's reads).
    var backgroundProblems: String?
    var expiresAt: Date?
    var throttlePauses: Int
    var lastThrottleAt: Date?
    var index: IndexPosition
    var indexedContacts: Int
    var indexBytes: Int?
    /// On PostgreSQL: the node that delivers (holds the account's lease), nil when none does.
    var deliveringNode: (name: String, seconds: Double)??

    static func collect(config: Config, store: any AdminStore & IndexStore & MetaStore) async throws -> StatsReport {
        let problem = try await store.meta("auth_problem")
        var report = StatsReport(
            stats: try await store.stats(), authMode: config.amocrm.longLivedToken == nil ? "oauth" : "long_lived",
            authState: "ok", authProblem: problem, accountProblem: try await store.meta("account_problem"),
            backgroundProblems: try await store.meta("background_problems"), expiresAt: nil,
            throttlePauses: Int(try await store.meta("throttle_pauses") ?? "") ?? 0,
            lastThrottleAt: (try await store.meta("last_throttle_at")).flatMap(Double.init).map(Date.init(timeIntervalSince1970:)),
            index: try await store.indexPosition(), indexedContacts: try await store.indexedContactCount(),
            indexBytes: try await store.indexBytes())
        if let token = config.amocrm.longLivedToken {
            report.expiresAt = JWT.expiry(token)
        } else if let stored = try? await AmoAccount.vault(config: config, store: store).load() {
            report.expiresAt = stored.expiresAt
        } else {
            report.authState = "missing"
        }
        if problem != nil || (config.amocrm.longLivedToken != nil && report.expiresAt.map { $0 < Date() } == true) {
            report.authState = "dead"
        }
        if let nodes = store as? any NodeStore {
            let lease = try await nodes.leaseState(DeliveryLease.name(account: config.amocrm.apiBase))
            report.deliveringNode = .some(lease.flatMap { $0.remaining > 0 ? ($0.holder, $0.remaining) : nil })
        }
        return report
    }

    var json: JSONValue {
        let counts = JSONValue.object(
            Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0.rawValue, .number(JSONNumber(stats.counts[$0] ?? 0))) }))
        return [
            "jobs": counts,
            "oldest_queued_seconds": stats.oldestQueuedSeconds.map { .number(JSONNumber($0.rounded())) } ?? .null,
            "last_delivery_at": JobReport.date(stats.lastDeliveryAt),
            "delivered_last_hour": .number(JSONNumber(stats.deliveredLastHour)),
            "auth": [
                "mode": .string(authMode), "state": .string(authState), "expires_at": JobReport.date(expiresAt),
                "problem": authProblem.map(JSONValue.string) ?? .null,
            ],
            "account": ["problem": accountProblem.map(JSONValue.string) ?? .null],
            "background_problems": backgroundProblems.map(JSONValue.string) ?? .null,
            "delivering_node": deliveringNode.map { $0.map { .string($0.name) } ?? .null } ?? .null,
            "rate_limit": ["pauses": .number(JSONNumber(throttlePauses)), "last_pause_at": JobReport.date(lastThrottleAt)],
            "contact_index": [
                "state": .string(indexState), "contacts": .number(JSONNumber(indexedContacts)),
                "bytes": indexBytes.map { .number(JSONNumber($0)) } ?? .null,
                "progress": .number(JSONNumber((index.progress(now: Date()) * 1000).rounded() / 1000)),
                "synced_to": index.syncing ? JobReport.date(Date(timeIntervalSince1970: Double(index.cursor))) : .null,
                "eta": index.etaAt.map { JobReport.date(Date(timeIntervalSince1970: Double($0))) } ?? .null,
            ],
        ]
    }

    var text: String {
        let iso = JobReport.iso
        var lines = JobState.allCases.map { "\($0.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(stats.counts[$0] ?? 0)" }
        lines.append("oldest queued job: " + (stats.oldestQueuedSeconds.map { "\(Int($0))s ago" } ?? "none"))
        lines.append("delivered in the last hour: \(stats.deliveredLastHour)")
        lines.append("last delivery: " + (stats.lastDeliveryAt.map { iso.string(from: $0) } ?? "never"))
        lines.append("auth: \(authMode), \(authState)" + (expiresAt.map { ", expires \(iso.string(from: $0))" } ?? ""))
        if let authProblem { lines.append("auth problem: \(JobReport.safe(authProblem))") }
        if let accountProblem { lines.append("account problem (delivery paused): \(JobReport.safe(accountProblem))") }
        if let backgroundProblems { lines.append("failing, retried: \(JobReport.safe(backgroundProblems))") }
        lines.append("rate-limit pauses: \(throttlePauses)" + (lastThrottleAt.map { ", last \(iso.string(from: $0))" } ?? ""))
        lines.append(indexLine)
        if let deliveringNode {
            lines.append(
                "delivering node: "
                    + (deliveringNode.map { "\($0.name) (lease renewed, \(Int($0.seconds.rounded())) s left)" }
                        ?? "none now (the next node to ask takes the lease within 2 s)"))
        }
        return lines.joined(separator: "\n")
    }

    /// `complete`, `syncing` (the full sync has read a page) or `not started`.
    var indexState: String { index.complete ? "complete" : index.syncing ? "syncing" : "not started" }

    var indexLine: String {
        let size = indexBytes.map { ", \(String(format: "%.1f", Double($0) / 1_048_576)) MB on disk" } ?? ""
        var line = "contact index: \(indexState), \(indexedContacts) contacts\(size)"
        if index.syncing {
            line += String(format: ", about %.0f %%", index.progress(now: Date()) * 100)
            line += ", synced to \(JobReport.iso.string(from: Date(timeIntervalSince1970: Double(index.cursor))))"
            if let seconds = index.secondsToGo(now: Date()) { line += ", about \(max(1, Int(seconds / 60 + 0.5))) min to go" }
        }
        return line
    }
}
