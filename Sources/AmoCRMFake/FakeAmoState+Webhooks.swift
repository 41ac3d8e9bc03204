import AmoAPI
import AmoSyncCore
import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// What the fake's webhooks did: deliveries answered 2xx, failed (another answer, none within
/// 2 s) and dropped on purpose (`POST /__fake/webhooks/drop`).
struct FakeHookDeliveries: Sendable {
    var delivered = 0
    var failed = 0
    var dropped = 0
    /// Deliveries sent and not yet answered.
    var inFlight = 0
    /// Deliveries still to drop.
    var dropNext = 0
}

/// Webhooks (`/api/v4/webhooks`) and the event log (`/api/v4/events`), as amoCRM has them: a
/// lead's stage change, by the API or by a manager, is an event `lead_status_changed`, and each
/// hook subscribed to `status_lead` gets amoCRM's form-encoded POST, which it waits 2 s for.
extension FakeAmoState {
    func listWebhooks() -> FakeResponse {
        webhooks.isEmpty ? FakeResponse(status: 204) : .encoded(200, Page(items: webhooks))
    }

    func createWebhook(_ body: JSONValue?) -> FakeResponse {
        guard let destination = body?["destination"]?.stringValue, let url = URL(string: destination), url.scheme?.hasPrefix("http") == true
        else {
            return validationFailure([ValidationErrors(requestID: "0", errors: [Self.problem("InvalidType", "destination")])])
        }
        let settings = body?["settings"]?.arrayValue?.compactMap(\.stringValue) ?? []
        guard !settings.isEmpty else {
            return validationFailure([ValidationErrors(requestID: "0", errors: [Self.problem("FieldMissing", "settings")])])
        }
        // One hook per destination: subscribing again replaces its settings and enables it.
        if let index = webhooks.firstIndex(where: { $0.destination == destination }) {
            webhooks[index].settings = settings
            webhooks[index].disabled = false
            return .encoded(200, webhooks[index])
        }
        let hook = Webhook(id: allocate("webhook"), destination: destination, settings: settings, disabled: false, sort: webhooks.count + 1)
        webhooks.append(hook)
        return .encoded(200, hook)
    }

    /// Subscribes `destination` to lead stage changes, as `POST /api/v4/webhooks` does (the sandbox).
    package func subscribe(_ destination: String) {
        _ = createWebhook(["destination": .string(destination), "settings": [.string(Webhook.leadStatusChanged)]])
    }

    /// amoCRM switches off a hook whose deliveries keep failing.
    func disableWebhooks() {
        for index in webhooks.indices { webhooks[index].disabled = true }
    }

    func deleteWebhook(_ body: JSONValue?) -> FakeResponse {
        guard let destination = body?["destination"]?.stringValue else {
            return validationFailure([ValidationErrors(requestID: "0", errors: [Self.problem("FieldMissing", "destination")])])
        }
        webhooks.removeAll { $0.destination == destination }
        return FakeResponse(status: 204)
    }

    /// `filter[type]`, `filter[created_at][from]`, `limit` (at most 100, as amoCRM), `page`.
    func listEvents(query: [String: String]) -> FakeResponse {
        let limit = Int(query["limit"] ?? "") ?? 100
        guard (1...100).contains(limit) else {
            return validationFailure([ValidationErrors(requestID: "0", errors: [Self.problem("InvalidValue", "limit")])])
        }
        let page = max(1, Int(query["page"] ?? "") ?? 1)
        let types = query["filter[type]"].map { Set($0.split(separator: ",").map(String.init)) }
        let from = query["filter[created_at][from]"].flatMap(Int.init) ?? 0
        // Newest first, as amoCRM lists them.
        let matching = events.filter { (types?.contains($0.type) ?? true) && ($0.createdAt ?? 0) >= from }.reversed()
        let slice = Array(matching.dropFirst((page - 1) * limit).prefix(limit))
        if slice.isEmpty { return FakeResponse(status: 204) }
        return .encoded(200, Page(items: slice, page: page, hasNext: page * limit < matching.count))
    }

    /// A manager moves a lead; false for an unknown lead or stage.
    func move(lead id: Int, to status: Int, pipeline: Int?) -> Bool {
        guard var lead = leads[id] else { return false }
        let pipelineID = pipeline ?? lead.pipelineID
        guard pipelines.first(where: { $0.id == pipelineID })?.statuses.contains(where: { $0.id == status }) == true else { return false }
        let old = lead
        lead.statusID = status
        lead.pipelineID = pipelineID
        lead.updatedAt = max(Int(now), lead.updatedAt)
        stageChanged(from: old, to: lead)
        leads[id] = lead
        return true
    }

    /// A stage change: the event, and the webhooks' deliveries.
    func stageChanged(from old: FakeEntity, to new: FakeEntity) {
        guard old.statusID != new.statusID || old.pipelineID != new.pipelineID else { return }
        let time = Int(now)
        events.append(
            Event(
                id: String(allocate("event"), radix: 36), type: Event.leadStatusChanged, entityID: new.id, entityType: "lead",
                createdAt: time,
                valueAfter: [
                    JSONValueBox([
                        "lead_status": ["id": .number(JSONNumber(new.statusID)), "pipeline_id": .number(JSONNumber(new.pipelineID))]
                    ])
                ]))
        let fields: [(String, String)] = [
            ("id", "\(new.id)"), ("name", new.name), ("status_id", "\(new.statusID)"), ("old_status_id", "\(old.statusID)"),
            ("price", "\(new.price)"), ("responsible_user_id", "\(new.responsibleUserID)"), ("last_modified", "\(time)"),
            ("modified_user_id", "\(users[0])"), ("created_user_id", "\(users[0])"), ("date_create", "\(new.createdAt)"),
            ("pipeline_id", "\(new.pipelineID)"), ("account_id", "1231414"),
        ]
        var pairs = fields.map { ("leads[status][0][\($0.0)]", $0.1) }
        pairs += [
            ("account[subdomain]", subdomain), ("account[id]", "1231414"), ("account[_links][self]", "https://\(subdomain).amocrm.ru"),
        ]
        let body = Data(pairs.map { "\(Self.formEncoded($0.0))=\(Self.formEncoded($0.1))" }.joined(separator: "&").utf8)
        for hook in webhooks where hook.disabled != true && (hook.settings ?? []).contains(Webhook.leadStatusChanged) {
            if hookDeliveries.dropNext > 0 {
                hookDeliveries.dropNext -= 1
                hookDeliveries.dropped += 1
                continue
            }
            guard let url = URL(string: hook.destination) else { continue }
            hookDeliveries.inFlight += 1
            Task.detached { [weak self] in
                let ok = await Self.post(body, to: url)
                await self?.delivered(ok)
            }
        }
    }

    private func delivered(_ ok: Bool) {
        hookDeliveries.inFlight -= 1
        if ok { hookDeliveries.delivered += 1 } else { hookDeliveries.failed += 1 }
    }

    /// amoCRM waits 2 s and counts only 1xx–2xx.
    static func post(_ body: Data, to url: URL) async -> Bool {
        var request = URLRequest(url: url, timeoutInterval: 2)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.setValue("amoCRM-Webhooks/3.0", forHTTPHeaderField: "User-Agent")
        guard let (_, response) = try? await URLSession.shared.data(for: request) else { return false }
        return ((response as? HTTPURLResponse)?.statusCode ?? 0) < 300
    }

    static func formEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._*")
        return (text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text).replacingOccurrences(of: "%20", with: "+")
    }
}
