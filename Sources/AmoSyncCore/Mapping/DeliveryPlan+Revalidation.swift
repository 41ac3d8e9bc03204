extension DeliveryPlan {
    /// This plan as today's mapping would have written it, for a job an older version stored:
    /// phones and emails normalized by today's rules — the same customer key, the same index
    /// lookups and the same per-customer order as a fresh job — and every value that fails
    /// today's validation (a phone `+100000`, an email holding U+FFFD) dropped. Returns the
    /// plan and one line per dropped value (empty when the plan passes as it is).
    package func revalidated(countryCode: String) -> (plan: DeliveryPlan, dropped: [String]) {
        guard var contact else { return (self, []) }
        var dropped: [String] = []
        var phones: [String] = []
        for phone in contact.phones {
            if let normalized = ContactKey.phone(phone, countryCode: countryCode) {
                if !phones.contains(normalized) { phones.append(normalized) }
            } else {
                dropped.append("stored phone \(Self.quoted(phone)) is not a valid number today: dropped, not sent")
            }
        }
        var emails: [String] = []
        for email in contact.emails {
            if let normalized = ContactKey.email(email) {
                if !emails.contains(normalized) { emails.append(normalized) }
            } else {
                dropped.append("stored email \(Self.quoted(email)) is not a valid address today: dropped, not sent")
            }
        }
        guard !dropped.isEmpty || phones != contact.phones || emails != contact.emails else { return (self, []) }
        var plan = self
        contact.phones = phones
        contact.emails = emails
        if phones.isEmpty, emails.isEmpty {
            plan.contact = nil
            if plan.lead != nil { dropped.append("no valid phone or email is left: the lead is created without a contact") }
        } else {
            plan.contact = contact
        }
        plan.warnings += dropped
        return (plan, dropped)
    }

    /// A value for a log line: escaped, at most 60 characters.
    static func quoted(_ value: String) -> String {
        let escaped = value.unicodeScalars.prefix(60).map { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) ? "?" : String($0) }
        return "\"" + escaped.joined() + (value.unicodeScalars.count > 60 ? "…" : "") + "\""
    }
}
