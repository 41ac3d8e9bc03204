import Foundation

/// A JSON number kept as its digits: ids such as `123456789012345678` stay exact, money is
/// read as `Decimal`, and nothing is rounded through `Double` until a caller asks for one.
package struct JSONNumber: Sendable, Hashable, CustomStringConvertible, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral {
    /// The number in RFC 8259 grammar, canonical: whole numbers as written, others in
    /// `Decimal`'s shortest form (`-1.5e2` → `-150`, `5100.0` → `5100`), so that equal values
    /// give equal bytes. A literal too long for `Decimal`'s 38 digits is kept as written.
    let text: String

    /// `text` must be valid by `isValid`.
    init(verbatim text: String) {
        guard !Self.isIntegerLiteral(text), text.utf8.count <= 38,
            let decimal = Decimal(string: text, locale: Self.posix), !decimal.isNaN
        else {
            self.text = text
            return
        }
        self.text = "\(decimal)"
    }

    package init<I: BinaryInteger>(_ value: I) { text = String(value) }

    /// A finite double, written without a trailing `.0`. Non-finite values have no JSON form.
    package init(_ value: Double) {
        precondition(value.isFinite, "JSON has no non-finite numbers")
        text = value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }

    package init(_ value: Decimal) { text = "\(value)" }  // Decimal's own text is canonical

    package init(integerLiteral value: Int) { self.init(value) }
    package init(floatLiteral value: Double) { self.init(value) }

    /// A number written as text (`"1450.00"`, `" 12 "`), nil unless it is a JSON number.
    package init?(parsing text: some StringProtocol) {
        let trimmed = text.trimmed
        guard Self.isValid(trimmed.utf8) else { return nil }
        self.init(verbatim: trimmed)
    }

    /// True when the bytes are one number by RFC 8259: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    static func isValid(_ bytes: some Collection<UInt8>) -> Bool {
        var index = bytes.startIndex
        func take(_ accept: (UInt8) -> Bool) -> Bool {
            guard index != bytes.endIndex, accept(bytes[index]) else { return false }
            index = bytes.index(after: index)
            return true
        }
        func digits() -> Int {
            var count = 0
            while take(isDigit) { count += 1 }
            return count
        }
        _ = take { $0 == UInt8(ascii: "-") }
        if take({ $0 == UInt8(ascii: "0") }) {
        } else if digits() == 0 {
            return false
        }
        if take({ $0 == UInt8(ascii: ".") }), digits() == 0 { return false }
        if take({ $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            _ = take { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }
            if digits() == 0 { return false }
        }
        return index == bytes.endIndex
    }

    static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    /// True when written as a whole number (no fraction, no exponent).
    var isIntegerLiteral: Bool { Self.isIntegerLiteral(text) }

    static func isIntegerLiteral(_ text: String) -> Bool {
        !text.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
    }

    /// The value as a finite `Double` (nil when out of range).
    var double: Double? { Double(text).flatMap { $0.isFinite ? $0 : nil } }

    /// The exact integer, nil when it has a fraction or does not fit in `Int`.
    var int: Int? {
        if isIntegerLiteral { return Int(text) }
        return decimal?.exactInt
    }

    /// The value as a decimal (nil when its exponent is beyond `Decimal`'s range).
    var decimal: Decimal? {
        guard let value = Decimal(string: text, locale: Self.posix), !value.isNaN else { return nil }
        return value
    }

    static let posix = Locale(identifier: "en_US_POSIX")

    /// For people and CRM fields: the canonical text (`19.990` → `19.99`, `1E3` → `1000`).
    package var description: String { text }
}

extension Decimal {
    /// Rounded half away from zero to `scale` decimal places.
    func rounded(_ scale: Int = 0) -> Decimal {
        var value = self
        var result = Decimal()
        NSDecimalRound(&result, &value, scale, .plain)
        return result
    }

    /// The whole value as `Int`, nil when it has a fraction or does not fit.
    var exactInt: Int? {
        guard self == rounded() else { return nil }
        return Int("\(self)")
    }
}
