/// What amoCRM takes at most, in characters (Unicode scalars, as amoCRM counts them), where it
/// documents nothing else: longer values are refused with a validation error, so amosync cuts
/// them first, with a visible marker.
package enum AmoLimits {
    /// A lead's or a contact's name.
    package static let name = 255
    /// A single-line text field value (`text`, `url` and the like).
    package static let text = 256
    /// A `textarea` field value.
    package static let textarea = 8192
    /// A note's text.
    package static let note = 8192
    /// What marks a cut value.
    package static let marker = "…"

    /// The limit for a field of this amoCRM type.
    package static func value(forFieldType type: String) -> Int { type == "textarea" ? textarea : text }

    /// `text` cut to at most `limit` characters, the last one the marker; nil when it fits.
    package static func cut(_ text: String, to limit: Int) -> String? {
        let scalars = text.unicodeScalars
        guard scalars.count > limit else { return nil }
        var kept = String.UnicodeScalarView(scalars.prefix(limit - marker.unicodeScalars.count))
        kept.append(contentsOf: marker.unicodeScalars)
        return String(kept)
    }

    /// `text` within `limit`: cut when needed, with a warning naming `what`.
    package static func fit(_ text: String, to limit: Int, what: String, warnings: inout [String]) -> String {
        guard let cut = cut(text, to: limit) else { return text }
        warnings.append("\(what): \(text.unicodeScalars.count) characters, amoCRM takes \(limit): cut, marked with \(marker)")
        return cut
    }
}
