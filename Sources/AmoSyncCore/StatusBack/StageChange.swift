import Foundation

/// One lead's move to another stage, as amoCRM's webhook (`leads[status][N][…]`) or its event
/// log tells it. A hint only: the lead is read again before anything is written.
package struct StageChange: Sendable, Equatable {
    package var leadID: Int
    package var statusID: Int
    package var pipelineID: Int?
    package var oldStatusID: Int?
    /// When amoCRM says it changed (Unix time), if it says.
    package var changedAt: Int?

    package init(leadID: Int, statusID: Int, pipelineID: Int? = nil, oldStatusID: Int? = nil, changedAt: Int? = nil) {
        self.leadID = leadID
        self.statusID = statusID
        self.pipelineID = pipelineID
        self.oldStatusID = oldStatusID
        self.changedAt = changedAt
    }

    /// The job's input: what the hint said.
    package var json: JSONValue {
        var object: [String: JSONValue] = ["lead_id": .number(JSONNumber(leadID)), "status_id": .number(JSONNumber(statusID))]
        if let pipelineID { object["pipeline_id"] = .number(JSONNumber(pipelineID)) }
        if let oldStatusID { object["old_status_id"] = .number(JSONNumber(oldStatusID)) }
        if let changedAt { object["changed_at"] = .number(JSONNumber(changedAt)) }
        return .object(object)
    }

    package init?(json: JSONValue) {
        guard let lead = json["lead_id"]?.intValue, let status = json["status_id"]?.intValue else { return nil }
        self.init(
            leadID: lead, statusID: status, pipelineID: json["pipeline_id"]?.intValue, oldStatusID: json["old_status_id"]?.intValue,
            changedAt: json["changed_at"]?.intValue)
    }
}

/// amoCRM's webhook body: `application/x-www-form-urlencoded`, PHP-style keys
/// (`leads[status][0][id]=…&leads[status][0][status_id]=…&account[id]=…&account[subdomain]=…`);
/// one POST may carry several leads.
package struct AmoWebhookBody: Sendable, Equatable {
    package var changes: [StageChange] = []
    package var accountID: Int?
    package var subdomain: String?

    /// Reads the stage changes (`leads[status]`) and the account; other events in the body
    /// (`leads[add]`, `contacts[update]` …) are not ours and are left out.
    package static func parse(_ body: Data) -> AmoWebhookBody {
        var result = AmoWebhookBody()
        var leads: [Int: [String: String]] = [:]
        for (name, value) in BodyDecoder.parseURLEncoded(String(decoding: body, as: UTF8.self)) {
            let parts = keyParts(name)
            switch parts.count {
            case 2 where parts[0] == "account" && parts[1] == "id": result.accountID = Int(value)
            case 2 where parts[0] == "account" && parts[1] == "subdomain": result.subdomain = value
            case 4 where parts[0] == "leads" && parts[1] == "status":
                // At most a few hundred leads a body: amoCRM sends moves as they happen.
                guard let index = Int(parts[2]), index >= 0, index < 500 else { continue }
                leads[index, default: [:]][parts[3]] = value
            default: continue
            }
        }
        for index in leads.keys.sorted() {
            let fields = leads[index]!
            guard let id = fields["id"].flatMap(Int.init), id > 0, let status = fields["status_id"].flatMap(Int.init), status > 0 else {
                continue
            }
            result.changes.append(
                StageChange(
                    leadID: id, statusID: status, pipelineID: fields["pipeline_id"].flatMap(Int.init),
                    oldStatusID: fields["old_status_id"].flatMap(Int.init), changedAt: fields["last_modified"].flatMap(Int.init)))
        }
        return result
    }

    /// `leads[status][0][id]` → `["leads", "status", "0", "id"]`.
    static func keyParts(_ name: String) -> [String] {
        guard let open = name.firstIndex(of: "[") else { return [name] }
        var parts = [String(name[..<open])]
        var rest = name[open...]
        while rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            parts.append(String(rest[rest.index(after: rest.startIndex)..<close]))
            rest = rest[rest.index(after: close)...]
            if parts.count > 6 { break }
        }
        return parts
    }
}
