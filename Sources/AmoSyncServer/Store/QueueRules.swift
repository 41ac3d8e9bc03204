import AmoSyncCore
import Foundation

/// The queue's rules that both engines' SQL follows.
enum QueueRules {
    /// The most due jobs one claim looks at: four batches' worth, at least 200.
    static func claimScan(_ limit: Int) -> Int { max(200, limit * 4) }

    /// The kinds in the shop's lane (`JobKind.isShopWork`), as an SQL list.
    static let shopKinds = "(" + JobKind.allCases.filter(\.isShopWork).map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"

    /// How long a due job that waits for an earlier job of its order steps aside (seconds).
    static let blockedDelay = 5.0

    /// Most jobs (with their attempts) one purge transaction deletes: intake never waits behind
    /// a purge of a million jobs.
    static let purgeChunk = 1000

    /// Runs `deleteChunk` (one transaction deleting at most `purgeChunk` jobs) until a chunk
    /// comes back short; how many were deleted in all.
    static func purgeInChunks(_ deleteChunk: () async throws -> Int) async throws -> Int {
        var total = 0
        while true {
            let deleted = try await deleteChunk()
            total += deleted
            if deleted < purgeChunk { return total }
        }
    }

    /// The owner of a new claim: this process (its pid, or its node id on PostgreSQL) and a random part.
    static func newOwner(_ process: String) -> String { "\(process)-\(UUID().uuidString.prefix(13))" }

    /// What `retry` makes of a stored job.
    enum Retry {
        /// Queue it again with this plan (re-mapped by `remap`, or the stored one).
        case success(DeliveryPlan)
        /// Not retried: the change says why.
        case failure(JobChange)
    }

    static func retry(_ job: Job, remap: (@Sendable (Job) throws -> DeliveryPlan)?) throws -> Retry {
        guard job.state == .failed || job.state == .cancelled else {
            return .failure(JobChange(id: job.id, from: job.state, to: job.state, note: "only failed or cancelled jobs can be retried"))
        }
        guard let remap else { return .success(job.plan) }
        do { return .success(try remap(job)) } catch let error as MappingError {
            return .failure(JobChange(id: job.id, from: job.state, to: job.state, note: "re-mapping failed: \(error.summary)"))
        }
    }

    static func retried(_ job: Job, remapped: Bool) -> JobChange {
        JobChange(id: job.id, from: job.state, to: .queued, note: remapped ? "re-mapped with the current config" : "old plan kept")
    }
}
