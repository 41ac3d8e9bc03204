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

    /// The owner of a new claim: this process and a random part.
    static func newOwner(_ pid: Int32) -> String { "\(pid)-\(UUID().uuidString.prefix(13))" }
}
