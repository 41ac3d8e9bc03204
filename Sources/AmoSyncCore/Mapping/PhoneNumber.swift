import Foundation

/// Phone and email normalization: the one definition of "the same number" used by
/// mapping, contact matching, the contact index and `jobs find`.
package enum ContactKey {
    /// `+79125550102` for `8 (912) 555-01-02`, `+7 912 555 01 02`, `79125550102` and
    /// `9125550102` with country code 7. A national number takes the calling code of `country`
    /// (ISO code or name: the customer's billing/shipping country) and else `countryCode`
    /// (`default_country_code`); its length must fit that country (`(555) 555-5555` in the US
    /// is `+15555555555`). Nil for anything that cannot be a phone number: letters
    /// (`555-555-SHIP`), too few or too many digits, a wrong length for the country.
    package static func phone(_ raw: String, countryCode: String, country: String? = nil) -> String? {
        let trimmed = raw.trimmed
        guard !trimmed.unicodeScalars.contains(where: { $0.properties.isAlphabetic }) else { return nil }
        var digits = trimmed.filter(\.isASCIIDigit)
        guard digits.count >= 5, digits.count <= 15 + 2 else { return nil }
        if trimmed.hasPrefix("+") || digits.hasPrefix("00") {
            if !trimmed.hasPrefix("+") { digits.removeFirst(2) }
            guard (8...15).contains(digits.count) else { return nil }
            if let (code, national) = CallingCodes.split(digits) { return "+" + code + national }
            // A known code with a wrong length is not a number; an unknown code is taken as written.
            return CallingCodes.lengthsByCode.keys.contains { digits.hasPrefix($0) } ? nil : "+" + digits
        }
        let code = CallingCodes.country(country)?.code ?? countryCode
        guard let lengths = CallingCodes.lengthsByCode[code] else {
            // A default code this table does not know: the old rule.
            if digits.hasPrefix(code), digits.count > 10 { return "+" + digits }
            if digits.hasPrefix("0") { digits.removeFirst() }
            return "+" + code + digits
        }
        // A trunk prefix: 8 or 7 in the former Soviet Union (code 7), 1 in NANP, 0 elsewhere
        // (where a national number never starts with 0, except in Italy).
        if code != "7", code != "1", code != "39", digits.hasPrefix("0"), lengths.contains(digits.count - 1) {
            return "+" + code + digits.dropFirst()
        }
        // Belarus dials 8 0XX at home (before the length check: 11 digits are also a Belarusian length).
        if code == "375", digits.hasPrefix("80"), lengths.contains(digits.count - 2) { return "+375" + digits.dropFirst(2) }
        if lengths.contains(digits.count) { return "+" + code + digits }
        let trunks: [Character] = code == "7" ? ["8", "7"] : code == "1" ? ["1"] : ["0"]
        if let first = digits.first, trunks.contains(first), lengths.contains(digits.count - 1) {
            return "+" + code + digits.dropFirst()
        }
        // The calling code without `+` (`79125550102`, `375291234567`).
        if let (other, national) = CallingCodes.split(digits) { return "+" + other + national }
        return nil
    }

    /// The digits after the country code: what a manager may have typed in any format.
    package static func nationalNumber(_ normalized: String, countryCode: String) -> String {
        let digits = normalized.filter(\.isASCIIDigit)
        if digits.hasPrefix(countryCode), digits.count > countryCode.count + 6 {
            return String(digits.dropFirst(countryCode.count))
        }
        return digits
    }

    /// Trimmed and lowercased; nil unless it looks like an address: one `@` between a local
    /// part (at most 64 bytes) and a domain of dot-separated labels, 254 bytes in all, no white
    /// space, no control character and no U+FFFD (what a broken encoding leaves). An address that
    /// could not be sent as a search or stored by amoCRM is no address.
    package static func email(_ raw: String) -> String? {
        let email = raw.trimmed.lowercased()
        guard email.utf8.count <= 254,
            !email.unicodeScalars.contains(where: {
                $0.properties.isWhitespace || $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0 == "\u{FFFD}"
            })
        else { return nil }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].utf8.count <= 64 else { return nil }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 63 }) else { return nil }
        return email
    }
}
