import AmoAPI
import AmoSyncCore
import Foundation
import Logging

/// Before new leads are sent: the responsible user of each lead whose plan asks for
/// distribution (`rotation`), kept in the job's progress so that a retry keeps the choice.
/// Users amoCRM reports inactive are skipped (a warning on the job, and once in the log).
struct RotationStep: Sendable {
    let sales: SalesServices
    let progress: any BatchProgress
    let logger: Logger

    func run(_ items: [DeliveryItem]) async throws {
        let needing = items.filter {
            $0.active && $0.job.kind != .orderUpdate && $0.plan.lead != nil && $0.job.progress.leadID == nil
                && $0.job.progress.assignedUserID == nil && $0.plan.sales?.rotation != nil
        }
        guard !needing.isEmpty else { return }
        let accountUsers = try await sales.users.users()
        // Items that share a rule set and mode take their turns together.
        let groups = Dictionary(grouping: needing) { item -> String in
            let rotation = item.plan.sales!.rotation!
            return "\(rotation.turn)|\(rotation.mode.rawValue)|\(item.plan.lead?.pipelineID ?? 0)"
        }
        for key in groups.keys.sorted() {
            let group = groups[key]!
            let rotation = group[0].plan.sales!.rotation!
            let eligible = await eligible(rotation.users, accountUsers: accountUsers, items: group)
            guard !eligible.isEmpty else {
                group.forEach {
                    $0.warn("rotation: none of the users \(rotation.users) is active in amoCRM; the account's default is used")
                }
                continue
            }
            switch rotation.mode {
            case .roundRobin:
                let first = try await sales.store.takeTurns(rotation.turn, count: group.count)
                for (offset, item) in group.enumerated() {
                    let user = eligible[(first + offset) % eligible.count]
                    item.update { $0.assignedUserID = user }
                }
            case .leastOpen:
                let pipeline = group[0].plan.lead?.pipelineID
                var counts = try await sales.users.openLeads(of: eligible, pipeline: pipeline)
                for item in group {
                    let user = eligible.min { (counts[$0] ?? 0, $0) < (counts[$1] ?? 0, $1) }!
                    counts[user, default: 0] += 1
                    await sales.users.assigned(user, pipeline: pipeline)
                    item.update { $0.assignedUserID = user }
                }
            }
        }
        try await progress.checkpoint(items)
    }

    /// The rotation's users that amoCRM knows and reports active, in the configured order.
    private func eligible(_ users: [Int], accountUsers: [Int: Bool], items: [DeliveryItem]) async -> [Int] {
        var result: [Int] = []
        for user in users {
            if accountUsers[user] == true {
                result.append(user)
                continue
            }
            let reason = accountUsers[user] == false ? "is inactive in amoCRM" : "is not in the amoCRM account"
            items.forEach { $0.warn("rotation: user \(user) \(reason) and was skipped") }
            if await sales.warned.first(user) { logger.warning("rotation: user \(user) \(reason); skipped", metadata: ["user": "\(user)"]) }
        }
        return result
    }
}
