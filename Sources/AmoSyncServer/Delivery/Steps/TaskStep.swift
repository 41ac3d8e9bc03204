import AmoAPI
import AmoSyncCore
import Foundation

/// Step 7: the manager's task on each new lead (`task`), one request for the batch, due
/// `due_minutes` after delivery, for the lead's responsible user (the one the rules or the
/// rotation named; amoCRM's default user otherwise). A task whose earlier create may have
/// taken effect is looked up first (the tasks on those leads, by text), so none is made twice.
struct TaskStep: Sendable {
    let client: AmoClient
    let sender: BatchSender
    let progress: any BatchProgress

    func run(_ items: [DeliveryItem]) async throws {
        let needing = items.filter {
            $0.active && $0.job.kind != .orderUpdate && $0.plan.sales?.task != nil && $0.job.progress.taskID == nil
                && $0.job.progress.leadID != nil
        }
        guard !needing.isEmpty else { return }
        let sent = needing.filter(\.job.progress.taskSent)
        if !sent.isEmpty {
            let found = try await existing(on: sent.map { ($0.job.progress.leadID!, Self.text($0)) })
            for item in sent {
                if let id = found[item.job.progress.leadID!] { item.update { $0.taskID = id } }
            }
        }
        let creating = needing.filter { $0.job.progress.taskID == nil }
        guard !creating.isEmpty else { return try await progress.checkpoint(items) }
        let now = Int(sender.clock.date.timeIntervalSince1970)
        var entries = creating.map { item -> BatchEntry<AmoTask> in
            let task = item.plan.sales!.task!
            let body = AmoTask(
                text: Self.text(item), completeTill: now + task.dueMinutes * 60, entityID: item.job.progress.leadID!,
                responsibleUserID: item.plan.lead?.responsibleUserID ?? item.job.progress.assignedUserID, taskTypeID: task.typeID ?? 1)
            return BatchEntry(items: [item], body: body)
        }
        creating.forEach { item in item.update { $0.taskSent = true } }
        try await progress.checkpoint(items)
        let answer = try await sender.sendBatch(
            &entries, names: [:], request: Endpoints.createTasks,
            sort: { page, sent throws(AnswerMismatch) in try BatchAnswer.sort(page, sent: sent, id: \.id, requestID: \.requestID) })
        for (index, entry) in entries.enumerated() {
            guard let id = answer[index]?.id else { continue }
            entry.items.forEach { $0.update { $0.taskID = id } }
        }
        sender.unanswered(entries, request: Endpoints.Label.createTasks) { $0.taskID == nil }
        try await progress.checkpoint(items)
    }

    /// Tasks already on these leads with these texts (one read for the batch, a few pages).
    func existing(on wanted: [(lead: Int, text: String)]) async throws -> [Int: Int] {
        let texts = Dictionary(wanted.map { ($0.lead, $0.text) }) { first, _ in first }
        var found: [Int: Int] = [:]
        for page in 1...4 {
            let list = try await client.send(Endpoints.tasks(leads: Array(texts.keys).sorted(), page: page))
            for task in list.items {
                if let lead = task.entityID, let id = task.id, texts[lead] == task.text, found[lead] == nil { found[lead] = id }
            }
            if !list.hasNext { break }
        }
        return found
    }

    static func text(_ item: DeliveryItem) -> String {
        var warnings: [String] = []
        let text = AmoLimits.fit(item.plan.sales?.task?.text ?? "", to: AmoLimits.note, what: "task text", warnings: &warnings)
        warnings.forEach(item.warn)
        return text
    }
}

extension AmoTask: BatchBody {
    var customFieldsValues: [CustomFieldValues]? {
        get { nil }
        set {}
    }

    mutating func dropResponsibleUser() -> Int? {
        defer { responsibleUserID = nil }
        return responsibleUserID
    }
}
