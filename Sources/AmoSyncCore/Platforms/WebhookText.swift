import Foundation

/// Reading platform payloads, where blank strings mean "not given".
enum WebhookText {
    /// The trimmed text of `object[key]`, nil when missing or blank.
    static func field(_ object: [String: JSONValue], _ key: String) -> String? {
        object[key]?.textValue.flatMap { $0.trimmed.isEmpty ? nil : $0.trimmed }
    }

    /// Our `address` object from a platform's: `fields` maps our key → theirs; the street is
    /// their `streetLines` joined.
    static func address(
        _ place: [String: JSONValue], fields: [(ours: String, theirs: String)], streetLines: [String]
    ) -> [String: JSONValue] {
        var address: [String: JSONValue] = [:]
        for (ours, theirs) in fields {
            if let value = field(place, theirs) { address[ours] = .string(value) }
        }
        let street = streetLines.compactMap { field(place, $0) }.joined(separator: ", ")
        if !street.isEmpty { address["street"] = .string(street) }
        return address
    }

    /// A platform's number (often a string, `"125.50"`) as a JSON number. A value that is not
    /// one is passed on as it came (null stays null: absent), so that the mapper names the field
    /// it was read into.
    static func number(_ value: JSONValue) -> JSONValue {
        value.numberValue.map(JSONValue.number) ?? value
    }

    /// A coupon of our order body (`{"code", "amount"}`) from a platform's code and amount;
    /// nil without a code.
    static func coupon(code: JSONValue?, amount: JSONValue?) -> JSONValue? {
        guard let code = code?.textValue?.trimmed, !code.isEmpty else { return nil }
        var coupon: [String: JSONValue] = ["code": .string(code)]
        if let amount = amount?.numberValue { coupon["amount"] = .number(amount) }
        return .object(coupon)
    }

    /// The sum of the platform's numbers under `keys` (shipping lines, with their tax): exact, in `Decimal`.
    static func sum(_ lines: [JSONValue], _ keys: String...) -> JSONValue {
        var total = Decimal(0)
        for line in lines {
            for key in keys {
                guard let value = line[key], !value.isNull else { continue }
                guard let decimal = value.decimalValue else { return value }
                total += decimal
            }
        }
        return .number(JSONNumber(total))
    }
}
