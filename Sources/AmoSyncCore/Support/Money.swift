import Foundation

/// Amounts as people read them in a note: with the currency's minor units (`31.20 USD`,
/// `0.50 EUR`, `1500 JPY`), roubles grouped and with their sign (`1 450 ₽`, `99.90 ₽`).
/// Without a currency the amount prints as the shop sent it.
package enum Money {
    /// ISO 4217 currencies without minor units.
    static let noMinorUnits: Set<String> = [
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF",
    ]

    package static func format(_ amount: Decimal, currency: String?) -> String {
        guard let code = code(currency) else { return JSONValue.format(amount) }
        return number(amount, code: code) + (code == "RUB" || code == "RUR" ? " ₽" : " " + code)
    }

    /// The amount as `format` prints it, without the currency (a unit price before `×`).
    package static func amount(_ amount: Decimal, currency: String?) -> String {
        code(currency).map { number(amount, code: $0) } ?? JSONValue.format(amount)
    }

    private static func code(_ currency: String?) -> String? {
        guard let code = currency?.trimmed.uppercased(), code.count == 3 else { return nil }
        return code
    }

    private static func number(_ amount: Decimal, code: String) -> String {
        if code == "RUB" || code == "RUR" { return grouped(amount, decimals: amount.rounded(2) == amount.rounded(0) ? 0 : 2) }
        return plain(amount, decimals: noMinorUnits.contains(code) ? 0 : 2)
    }

    /// `1234.5` with 2 decimals → `1234.50`.
    static func plain(_ amount: Decimal, decimals: Int) -> String {
        let rounded = amount.rounded(decimals)
        let negative = rounded < 0
        let magnitude = negative ? -rounded : rounded
        let whole = magnitude.rounded(0, .down)
        var text = "\(whole)"
        if decimals > 0 {
            var fraction = "\(((magnitude - whole) * pow(10, decimals)).rounded(0))"
            while fraction.count < decimals { fraction = "0" + fraction }
            text += "." + fraction
        }
        return (negative ? "-" : "") + text
    }

    /// Thousands separated by a space, as Russian prints them: `1 450`, `12 345.60`.
    static func grouped(_ amount: Decimal, decimals: Int) -> String {
        let text = plain(amount, decimals: decimals)
        let negative = text.hasPrefix("-")
        let body = negative ? String(text.dropFirst()) : text
        let parts = body.split(separator: ".", maxSplits: 1)
        var digits = Array(parts[0])
        var out: [Character] = []
        while digits.count > 3 {
            out = [" "] + digits.suffix(3) + out
            digits.removeLast(3)
        }
        let whole = String(digits + out)
        return (negative ? "-" : "") + whole + (parts.count > 1 ? "." + parts[1] : "")
    }
}

extension Decimal {
    fileprivate func rounded(_ scale: Int, _ mode: NSDecimalNumber.RoundingMode) -> Decimal {
        var value = self
        var result = Decimal()
        NSDecimalRound(&result, &value, scale, mode)
        return result
    }
}
