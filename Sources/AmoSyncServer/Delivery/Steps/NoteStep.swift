import AmoSyncCore
import Foundation

/// Step 5: each lead's note, one request for the batch.
struct NoteStep: Sendable {
    let client: AmoClient
    let sender: BatchSender
    let progress: any BatchProgress

    /// Adds each lead's note, all in one request; a note whose earlier create may have
    /// taken effect is looked up first.
    func run(_ items: [DeliveryItem]) async throws {
        let needing = items.filter {
            $0.active && $0.job.kind != .orderUpdate && $0.plan.note != nil && $0.job.progress.noteID == nil
                && $0.job.progress.leadID != nil
        }
        guard !needing.isEmpty else { return }
        for item in needing where item.job.progress.noteSent {
            let response = try await client.send("GET", "/api/v4/leads/\(item.job.progress.leadID!)/notes")
            let existing = (response.json?.value(at: "_embedded.notes")?.arrayValue ?? []).first {
                $0.value(at: "params.text")?.stringValue == Self.text(item)
            }
            if let id = existing?["id"]?.intValue { item.update { $0.noteID = id } }
        }
        let creating = needing.filter { $0.job.progress.noteID == nil }
        var entries = creating.map { item in
            BatchEntry(
                items: [item],
                body: [
                    "entity_id": .number(JSONNumber(item.job.progress.leadID!)), "note_type": "common",
                    "params": ["text": .string(Self.text(item))],
                ])
        }
        creating.forEach { item in item.update { $0.noteSent = true } }
        try await progress.checkpoint(items)
        let answer = try await sender.sendBatch("POST", "/api/v4/leads/notes", &entries, embedded: "notes", names: [:])
        for (index, entry) in entries.enumerated() {
            guard let id = answer[index]?["id"]?.intValue else { continue }
            entry.items.forEach { $0.update { $0.noteID = id } }
        }
        sender.unanswered(entries, request: "POST /api/v4/leads/notes") { $0.noteID == nil }
        try await progress.checkpoint(items)
    }

    /// The note as sent: within amoCRM's length (the cut is warned about on the job).
    static func text(_ item: DeliveryItem) -> String {
        var warnings: [String] = []
        let text = AmoLimits.fit(item.plan.note ?? "", to: AmoLimits.note, what: "note", warnings: &warnings)
        warnings.forEach(item.warn)
        return text
    }
}
