/// Untrusted text (order ids, form values, amoCRM's error texts) made safe for a terminal:
/// every control character — C0 (also ESC), DEL, C1 (U+0080…U+009F, U+009B is a CSI of its
/// own) — and every bidirectional control (U+202A…U+202E, U+2066…U+2069, U+200E, U+200F,
/// U+061C) is shown as an escape (`\u{1B}`), so no value can move the cursor, retitle the
/// window, clear the screen or reorder what follows it. Human output only: `--json` stays exact.
enum TerminalText {
    /// `keepNewlines`: line breaks are layout (a whole report), not part of one value.
    static func escape(_ text: String, keepNewlines: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: { isUnsafe($0) && !(keepNewlines && $0 == "\n") }) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar), !(keepNewlines && scalar == "\n") {
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }
}
