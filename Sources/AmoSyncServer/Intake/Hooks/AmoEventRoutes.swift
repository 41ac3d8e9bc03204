import Foundation
import Hummingbird
import AmoSyncCore

/// `POST /v1/amocrm/events/{key}`: amoCRM's webhook for lead stage changes. amoCRM waits 2 s,
/// counts only 1xx–2xx and switches a hook off after many failures: every change is stored
/// first (a `status_back` job per lead) and answered 200 at once; the lead is read again
/// through the API before anything is written to a shop.
extension IntakeRoutes {
    func amoEvents(_ request: Request, key: String) async throws -> Response {
        // A wrong key is indistinguishable from a route that does not exist.
        guard let hook = config.amocrm.webhook, Hashing.constantTimeEqual(Array(key.utf8), Array(hook.key.utf8)) else {
            logger.warning("amoCRM webhook with a wrong key refused", metadata: ["key_bytes": "\(key.utf8.count)"])
            throw IntakeError.notFound("not found")
        }
        let body = AmoWebhookBody.parse(try await rawBody(request))
        guard body.subdomain?.lowercased() == config.amocrm.subdomain.lowercased() else {
            logger.warning(
                "amoCRM webhook from another account refused",
                metadata: ["account": "\(RefererPolicy.printable(body.subdomain ?? "none"))"])
            throw IntakeError(
                status: .forbidden, code: "other_account",
                message: "this body is from account \(RefererPolicy.printable(body.subdomain ?? "(none)")), not amocrm.subdomain")
        }
        guard !body.changes.isEmpty else { return .json(.ok, ["status": "ok", "stored": 0]) }
        // No content key: a lead moved A→B→A→B within one second sends the same fields twice, and
        // the second move must be read too. A hint for a lead whose re-read is still queued joins
        // it (amoCRM's resend of a delivery included); a resend after the re-read costs one more
        // read, which finds nothing to write. Submitted together: one transaction for the body.
        let results = try await withThrowingTaskGroup(of: (Int, Int64).self) { group in
            for (index, change) in body.changes.enumerated() {
                group.addTask {
                    (index, try await store(.statusBack(change, via: "webhook", dedupeKey: "amocrm:webhook:\(UUID().uuidString)")).jobID)
                }
            }
            var ids = [Int64](repeating: 0, count: body.changes.count)
            for try await (index, id) in group { ids[index] = id }
            return ids
        }
        let ids = results.map { JSONValue.number(JSONNumber($0)) }
        return .json(.ok, ["status": "ok", "stored": .number(JSONNumber(ids.count)), "job_ids": .array(ids)])
    }
}
