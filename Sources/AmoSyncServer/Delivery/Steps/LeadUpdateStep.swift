import AmoSyncCore
import Foundation

/// Where an order's lead is: the lead its first job created.
protocol LeadLookup: Sendable {
    func leadID(source: String, externalID: String) async throws -> Int?
}

extension JobStore: LeadLookup {}

/// Step 3: changed orders applied to their leads, one PATCH for the batch.
struct LeadUpdateStep: Sendable {
    let leads: any LeadLookup
    let sender: BatchSender
    let progress: any BatchProgress

    /// Applies changed orders to the lead their first job created: status through
    /// `status_map` (won/lost with the lead's pipeline), price and fields.
    func run(_ items: [DeliveryItem], _ fields: ResolvedFields) async throws {
        let updates = items.filter { $0.active && $0.job.kind == .orderUpdate && $0.job.progress.leadID == nil }
        guard !updates.isEmpty else { return }
        var entries: [BatchEntry] = []
        for item in updates {
            guard let leadID = try await leads.leadID(source: item.job.source, externalID: item.job.externalID), let lead = item.plan.lead
            else {
                item.fail(
                    Attempt(
                        at: Date(), durationMs: 0, outcome: .failed,
                        error: "this order has no lead yet: its first job was not delivered (retry or cancel that job first)"))
                continue
            }
            var warnings: [String] = []
            // Empty values (only present with skip_empty off) clear the lead's field.
            let values = FieldValueEncoder.capped(
                FieldValueEncoder.encode(lead.fields, resolved: fields.lead, missing: fields.leadMissing, warnings: &warnings).map(\.json),
                names: fields.names, warnings: &warnings)
            warnings.forEach(item.warn)
            var body: [String: JSONValue] = ["id": .number(JSONNumber(leadID))]
            if let price = lead.price { body["price"] = .number(JSONNumber(price)) }
            if let status = lead.mappedStatusID {
                body["status_id"] = .number(JSONNumber(status))
                if status == 142 || status == 143, let pipeline = lead.pipelineID { body["pipeline_id"] = .number(JSONNumber(pipeline)) }
            }
            if !values.isEmpty { body["custom_fields_values"] = .array(values) }
            entries.append(BatchEntry(items: [item], body: body))
        }
        let answer = try await sender.sendBatch("PATCH", "/api/v4/leads", &entries, embedded: "leads", names: fields.names)
        for (index, entry) in entries.enumerated() {
            guard let id = answer[index]?["id"]?.intValue else { continue }
            entry.items.forEach { $0.update { $0.leadID = id } }
        }
        sender.unanswered(entries, request: "PATCH /api/v4/leads") { $0.leadID == nil }
        try await progress.checkpoint(items)
    }
}
