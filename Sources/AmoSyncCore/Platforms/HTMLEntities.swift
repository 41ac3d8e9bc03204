/// WooCommerce sends product names as stored for HTML (`Ship Your Idea &ndash; Color: Black`):
/// decoded before they reach a note or a field. Unknown entities stay as written.
enum HTMLEntities {
    static let named: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{00A0}", "ndash": "–", "mdash": "—",
        "laquo": "«", "raquo": "»", "hellip": "…", "lsquo": "‘", "rsquo": "’", "ldquo": "“", "rdquo": "”", "bdquo": "„",
        "times": "×", "euro": "€", "pound": "£", "copy": "©", "reg": "®", "trade": "™", "deg": "°", "minus": "−",
        "#8211": "–", "#8212": "—",
    ]

    static func decode(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let tail = rest[rest.index(after: amp)...]
            guard let semicolon = tail.prefix(10).firstIndex(of: ";") else {
                out += "&"
                rest = tail
                continue
            }
            let name = String(tail[..<semicolon])
            if let value = named[name] ?? numeric(name) {
                out += value
            } else {
                out += "&" + name + ";"
            }
            rest = tail[tail.index(after: semicolon)...]
        }
        return out + rest
    }

    /// `#8211`, `#x2013`.
    static func numeric(_ name: String) -> String? {
        guard name.hasPrefix("#") else { return nil }
        let digits = name.dropFirst()
        let value = digits.first == "x" || digits.first == "X" ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits)
        guard let value, value >= 0x20, let scalar = Unicode.Scalar(value) else { return nil }
        return String(Character(scalar))
    }
}
