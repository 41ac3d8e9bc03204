import AmoAPI
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

    init?(_ contact: Contact) {
        guard let id = contact.id else { return nil }
        self.id = id
        name = contact.name ?? ""
        updatedAt = contact.updatedAt ?? 0
        phones = contact.phones.compactMap { item in item.text.map { ($0, item.enumCode) } }
        emails = contact.emails.compactMap { item in item.text.map { ($0, item.enumCode) } }
        filledFields = Set(
            (contact.customFieldsValues ?? []).filter {
                $0.fieldCode != CustomFieldValues.phoneCode && $0.fieldCode != CustomFieldValues.emailCode
            }
            .filter { !($0.values ?? []).isEmpty }.compactMap(\.fieldID))
    }

    /// A contact in amoCRM's shape, for what amosync itself wrote.
    static func contact(
        id: Int, name: String, updatedAt: Int, phones: [(value: String, enumCode: String?)],
        emails: [(value: String, enumCode: String?)]
    ) -> Contact {
        func field(_ code: String, _ values: [(value: String, enumCode: String?)]) -> CustomFieldValues {
            CustomFieldValues(fieldCode: code, values: values.map { .init(value: .string($0.value), enumCode: $0.enumCode) })
        }
        var fields: [CustomFieldValues] = []
        if !phones.isEmpty { fields.append(field(CustomFieldValues.phoneCode, phones)) }
        if !emails.isEmpty { fields.append(field(CustomFieldValues.emailCode, emails)) }
        return Contact(id: id, name: name, updatedAt: updatedAt, customFieldsValues: fields)
    }

    /// A contact reduced to what `init` reads (id, name, `updated_at`, each field's id, code and
    /// values with their enum codes): the index stores this, a third of the full answer.
    static func compact(_ contact: Contact) -> Contact {
        Contact(
            id: contact.id, name: contact.name, updatedAt: contact.updatedAt,
            customFieldsValues: contact.customFieldsValues?.map { field in
                CustomFieldValues(
                    fieldID: field.fieldID, fieldCode: field.fieldCode,
                    values: field.values?.map { CustomFieldValues.Item(value: $0.value, enumCode: $0.enumCode) } ?? [])
            } ?? [])
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
                let page: Page<Contact>
                do {
                    page = try await client.send(Endpoints.contacts(query: query))
                } catch let error as AmoError where error.kind == .rejected {
                    // This customer's value cannot be searched for (amoCRM refuses it, or it is too
                    // long for a URL): the other values and the other customers go on.
                    skipped.append("search for \(query.prefix(40))\(query.count > 40 ? "…" : "") skipped: \(error.detail)")
                    continue
                }
                try await index?.record(page.items)
                for hit in page.items {
                    guard let contact = ExistingContact(hit), !contact.keys(countryCode: countryCode).isDisjoint(with: wanted) else {
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
