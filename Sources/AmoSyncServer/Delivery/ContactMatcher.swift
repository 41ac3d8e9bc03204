import Foundation
import AmoSyncCore

/// A contact as amoCRM returned it, with normalized keys.
struct ExistingContact: Sendable, Equatable {
    var id: Int
    var name: String
    var updatedAt: Int
    /// Stored values with their enum codes, in amoCRM's order.
    var phones: [(value: String, enumCode: String?)]
    var emails: [(value: String, enumCode: String?)]
    /// field id → has a non-empty value
    var filledFields: Set<Int>

    static func == (a: ExistingContact, b: ExistingContact) -> Bool { a.id == b.id && a.updatedAt == b.updatedAt }

    init?(_ json: JSONValue) {
        guard let id = json["id"]?.intValue else { return nil }
        self.id = id
        name = json["name"]?.stringValue ?? ""
        updatedAt = json["updated_at"]?.intValue ?? 0
        phones = []
        emails = []
        filledFields = []
        for field in json["custom_fields_values"]?.arrayValue ?? [] {
            let values = (field["values"]?.arrayValue ?? []).compactMap { item -> (String, String?)? in
                guard let text = item["value"]?.textValue else { return nil }
                return (text, item["enum_code"]?.stringValue ?? item["enum"]?.stringValue)
            }
            switch field["field_code"]?.stringValue {
            case "PHONE": phones = values
            case "EMAIL": emails = values
            default: if let fieldID = field["field_id"]?.intValue, !values.isEmpty { filledFields.insert(fieldID) }
            }
        }
    }

    /// A contact in amoCRM's JSON shape, for what amosync itself wrote.
    static func json(
        id: Int, name: String, updatedAt: Int, phones: [(value: String, enumCode: String?)],
        emails: [(value: String, enumCode: String?)]
    ) -> JSONValue {
        func field(_ code: String, _ values: [(value: String, enumCode: String?)]) -> JSONValue {
            [
                "field_code": .string(code),
                "values": .array(values.map { ["value": .string($0.value), "enum_code": $0.enumCode.map(JSONValue.string) ?? .null] }),
            ]
        }
        var fields: [JSONValue] = []
        if !phones.isEmpty { fields.append(field("PHONE", phones)) }
        if !emails.isEmpty { fields.append(field("EMAIL", emails)) }
        return [
            "id": .number(JSONNumber(id)), "name": .string(name), "updated_at": .number(JSONNumber(updatedAt)),
            "custom_fields_values": .array(fields),
        ]
    }

    /// amoCRM's JSON of a contact reduced to what `init` reads (id, name, `updated_at`, each
    /// field's id, code and values with their enum codes): the index stores this, a third of
    /// the full answer (field names and types, enum ids, tags, links, users, dates stay out).
    static func compact(_ json: JSONValue) -> JSONValue {
        let fields = (json["custom_fields_values"]?.arrayValue ?? []).map { field -> JSONValue in
            let values = (field["values"]?.arrayValue ?? []).map { item -> JSONValue in
                .object(["value": item["value"], "enum_code": item["enum_code"] ?? item["enum"]].compactMapValues { $0 })
            }
            return .object(
                ["field_id": field["field_id"], "field_code": field["field_code"], "values": .array(values)].compactMapValues { $0 })
        }
        return .object(
            ["id": json["id"], "name": json["name"], "updated_at": json["updated_at"], "custom_fields_values": .array(fields)]
                .compactMapValues { $0 })
    }

    /// Normalized keys of this contact.
    func keys(countryCode: String) -> Set<String> {
        Set(phones.compactMap { ContactKey.phone($0.value, countryCode: countryCode) } + emails.compactMap { ContactKey.email($0.value) })
    }
}

/// Finds the customer's existing contact: in the local index when it is usable, else by
/// searching amoCRM for the national phone number and the email (a customer the partial index
/// already holds is not searched for). Only contacts whose own
/// values match exactly after normalization count; the most recently updated one wins.
struct ContactMatcher: Sendable {
    let client: AmoClient
    let countryCode: String
    let matchBy: [String]
    let index: ContactIndex?

    struct Match {
        var contact: ExistingContact?
        var candidates: [Int]
        /// Searches amoCRM refused or that could not be sent (a value too long for a URL), with why.
        var skipped: [String] = []
    }

    func match(phones: [String], emails: [String], indexed: Bool) async throws -> Match {
        let wanted = Set((matchBy.contains("phone") ? phones : []) + (matchBy.contains("email") ? emails : []))
        var found: [Int: ExistingContact] = [:]
        var skipped: [String] = []
        // A complete index answers alone. A partial one (the full sync still runs) answers
        // for the customers it holds — among them the contacts amosync created a moment ago,
        // which amoCRM's search may not find yet; the others are searched for.
        if let index {
            for contact in try await index.contacts(withAnyOf: Array(wanted))
            where !contact.keys(countryCode: countryCode).isDisjoint(with: wanted) {
                found[contact.id] = contact
            }
        }
        if !indexed, found.isEmpty {
            var queries: [String] = []
            if matchBy.contains("phone") { queries += phones.map { ContactKey.nationalNumber($0, countryCode: countryCode) } }
            if matchBy.contains("email") { queries += emails }
            for query in Set(queries).sorted() {
                let response: AmoResponse
                do {
                    response = try await client.send("GET", "/api/v4/contacts", query: [("query", query), ("limit", "50")])
                } catch let error as AmoError where error.kind == .rejected {
                    // This customer's value cannot be searched for (amoCRM refuses it, or it is too
                    // long for a URL): the other values and the other customers go on.
                    skipped.append("search for \(query.prefix(40))\(query.count > 40 ? "…" : "") skipped: \(error.detail)")
                    continue
                }
                let list = response.json?.value(at: "_embedded.contacts")?.arrayValue ?? []
                try await index?.record(list)
                for json in list {
                    guard let contact = ExistingContact(json), !contact.keys(countryCode: countryCode).isDisjoint(with: wanted) else {
                        continue
                    }
                    found[contact.id] = contact
                }
            }
        }
        let best = found.values.max { ($0.updatedAt, $0.id) < ($1.updatedAt, $1.id) }
        return Match(contact: best, candidates: found.keys.sorted(), skipped: skipped)
    }
}
