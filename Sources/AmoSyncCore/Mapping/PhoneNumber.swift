import Foundation

/// Phone and email normalization: the one definition of "the same number" used by
/// mapping, contact matching, the contact index and `jobs find`.
package enum ContactKey {
    /// `+79125550102` for `8 (912) 555-01-02`, `+7 912 555 01 02`, `79125550102` and
    /// `9125550102` with country code 7. Nil when there are too few digits.
    package static func phone(_ raw: String, countryCode: String) -> String? {
        let trimmed = raw.trimmed
        var digits = trimmed.filter(\.isASCIIDigit)
        guard digits.count >= 5, digits.count <= 15 + 2 else { return nil }
        if trimmed.hasPrefix("+") { return "+" + digits }
        if digits.hasPrefix("00") { return "+" + digits.dropFirst(2) }
        if countryCode == "7" {
            if digits.count == 11, digits.hasPrefix("8") || digits.hasPrefix("7") { digits.removeFirst() }
            if digits.count == 10 { return "+7" + digits }
            return "+" + digits
        }
        if digits.hasPrefix(countryCode), digits.count > 10 { return "+" + digits }
        if digits.hasPrefix("0") { digits.removeFirst() }
        return "+" + countryCode + digits
    }

    /// The digits after the country code: what a manager may have typed in any format.
    package static func nationalNumber(_ normalized: String, countryCode: String) -> String {
        let digits = normalized.filter(\.isASCIIDigit)
        if digits.hasPrefix(countryCode), digits.count > countryCode.count + 6 {
            return String(digits.dropFirst(countryCode.count))
        }
        return digits
    }

    /// Trimmed and lowercased; nil unless it looks like an address.
    package static func email(_ raw: String) -> String? {
        let email = raw.trimmed.lowercased()
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !email.contains(" ") else { return nil }
        return email
    }
}
