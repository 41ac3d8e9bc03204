import Foundation

extension Mapper {
    /// Maps a site user (`POST /v1/contacts`: a registration or a profile edit) to a
    /// contact-only plan: same matching, readonly and enum rules as orders; `orders.contact_fields`
    /// paths and `amocrm.contact` overrides apply to this body.
    package func mapContact(_ input: JSONValue) throws(MappingError) -> MappedJob {
        guard case .object = input else { throw MappingError(path: "", problem: "expected a JSON object") }
        let phone = Self.text(input["phone"])
        let email = Self.text(input["email"])
        let keys = contactKeys(
            phone: phone, email: email, phonePath: "phone", emailPath: "email", country: Self.text(input["country"]))
        if keys.phones.isEmpty, keys.emails.isEmpty {
            throw MappingError(keys.invalid.isEmpty ? [.init(path: "phone", problem: "required: phone or email")] : keys.invalid)
        }
        let overrides = try overrides(input.value(at: "amocrm.contact"), path: "amocrm.contact")
        // Without a user id, a digest of the email/phone keys the job: logs never carry personal data.
        let id = Self.identifier(input["id"]) ?? "c-" + Hashing.sha256Hex(Array((keys.emails.first ?? keys.phones.first!).utf8)).prefix(16)
        let name = Self.text(input["name"])?.trimmed
        let plan = DeliveryPlan(
            key: "contacts:\(id)",
            contact: ContactPlan(
                name: name.flatMap { $0.isEmpty ? nil : $0 }, phones: keys.phones, emails: keys.emails,
                fields: fieldValues(config.orders.contactFields, from: input) + overrides),
            warnings: keys.invalid.map { "\($0.path): \($0.problem), value dropped" })
        return MappedJob(kind: .contact, source: "contacts", externalID: id, plan: plan, searchKeys: [id] + keys.phones + keys.emails)
    }

    /// Tracking values inside a cookie string (`utm_source=yandex; _ga=GA1.2.111.222`): the
    /// `_ga` cookie becomes the Google Analytics client id (`111.222`).
    static func cookieTracking(_ cookies: String) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for part in cookies.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1).map { String($0).trimmed }
            guard pair.count == 2, !pair[1].isEmpty else { continue }
            let name = pair[0].lowercased()
            let value = pair[1].removingPercentEncoding ?? pair[1]
            if name == "_ga" {
                let parts = value.split(separator: ".")
                result["_ga"] = .string(parts.count >= 4 ? parts.suffix(2).joined(separator: ".") : value)
            } else if name == "tildautm" {
                // Tilda's own UTM store: `utm_source=yandex|||utm_medium=cpc|||…`; explicit cookies win.
                for entry in value.components(separatedBy: "|||") {
                    let pair = entry.split(separator: "=", maxSplits: 1).map { String($0).trimmed }
                    guard pair.count == 2, !pair[1].isEmpty, result[pair[0].lowercased()] == nil else { continue }
                    result[pair[0].lowercased()] = .string(pair[1])
                }
            } else if name == "roistat_visit" {
                result["roistat"] = .string(value)
            } else if name.hasPrefix("utm_") || ["gclid", "yclid", "fbclid", "_ym_uid"].contains(name) {
                result[name] = .string(value)
            }
        }
        return result
    }
}
