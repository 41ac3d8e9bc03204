import AmoAPI
import AmoSyncCore
import Foundation

/// Step 5: each lead's note, one request for the batch.
struct NoteStep: Sendable {
    let client: AmoClient
    let sender: BatchSender
    let progress: any BatchProgress

    /// Adds each lead's note, all in one request; a note whose earlier create may have
    /// taken effect is looked up first (by its text on the lead).
    func run(_ items: [DeliveryItem]) async throws {
        let needing = items.filter {
            $0.active && $0.job.kind != .orderUpdate && $0.plan.note != nil && $0.job.progress.noteID == nil
                && $0.job.progress.leadID != nil
        }
        guard !needing.isEmpty else { return }
        let notes = needing.map { (item: $0, text: Self.text($0)) }
        for (item, text) in notes where item.job.progress.noteSent {
            if let found = try await existing(on: item.job.progress.leadID!, text: text) { item.update { $0.noteID = found } }
        }
        let creating = notes.filter { $0.item.job.progress.noteID == nil }
        var entries = creating.map { item, text in BatchEntry(items: [item], body: Note(entityID: item.job.progress.leadID!, text: text)) }
        creating.forEach { item, _ in item.update { $0.noteSent = true } }
        try await progress.checkpoint(items)
        let answer = try await sender.sendBatch(
            &entries, names: [:], request: Endpoints.createNotes,
            sort: { page, sent throws(AnswerMismatch) in try BatchAnswer.sort(page, sent: sent, id: \.id, requestID: \.requestID) })
        for (index, entry) in entries.enumerated() {
            guard let note = answer[index], let id = note.id else { continue }
            if let lead = note.entityID, lead != entry.body.entityID {
                throw AmoError(
                    kind: .unknownOutcome, request: Endpoints.Label.createNotes, status: 200, title: nil,
                    detail: "amoCRM's answer does not fit the request: note \(id) is on lead \(lead), not \(entry.body.entityID ?? 0)")
            }
            entry.items.forEach { $0.update { $0.noteID = id } }
        }
        sender.unanswered(entries, request: Endpoints.Label.createNotes) { $0.noteID == nil }
        try await progress.checkpoint(items)
    }

    /// The note with this text on the lead, if amoCRM has it (its notes, a few pages at most).
    func existing(on lead: Int, text: String) async throws -> Int? {
        for page in 1...4 {
            let notes = try await client.send(Endpoints.notes(lead: lead, page: page))
            if let found = notes.items.first(where: { $0.text == text })?.id { return found }
            if !notes.hasNext { break }
        }
        return nil
    }

    /// The note as sent: within amoCRM's length (the cut is warned about on the job).
    static func text(_ item: DeliveryItem) -> String {
        var warnings: [String] = []
        let text = AmoLimits.fit(item.plan.note ?? "", to: AmoLimits.note, what: "note", warnings: &warnings)
        warnings.forEach(item.warn)
        return text
    }
}
