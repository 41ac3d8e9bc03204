import Foundation

/// Text from a platform's body as a person reads it. WooCommerce stores every title it renders
/// escaped for HTML (`Ground Advantage&#8482;`, `Ship Your Idea &ndash; Black`, `Gift &amp; wrap`),
/// and a title can carry markup (`<span>`, `<br>`): one pass over the whole body, before an
/// adapter reads it, decodes the entities and drops the tags in every string, so no entity and
/// no tag reaches a field or a note, whichever field a shop puts them in.
package enum PlatformText {
    /// Every string in `value` (at any depth, keys too) made plain.
    package static func cleaned(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text): return .string(plain(text))
        case .array(let items): return .array(items.map(cleaned))
        case .object(let object):
            var out: [String: JSONValue] = [:]
            out.reserveCapacity(object.count)
            for (key, item) in object { out[plain(key)] = cleaned(item) }
            return .object(out)
        default: return value
        }
    }

    /// Entities decoded (also escaped twice, as some plugins store titles: `&amp;#8482;` is
    /// `™`), then tags removed: `<br>` becomes a line break, any other tag nothing. Only what
    /// looks like a tag is a tag: `<`, an optional `/`, a letter, up to the next `>` (so
    /// `5 < 7 > 3` stays).
    package static func plain(_ text: String) -> String {
        guard text.contains("&") || text.contains("<") else { return text }
        var decoded = text
        for _ in 0..<3 {
            let next = HTMLEntities.decode(decoded)
            if next == decoded { break }
            decoded = next
        }
        guard decoded.contains("<") else { return decoded }
        var out = ""
        var rest = Substring(decoded)
        while let open = rest.firstIndex(of: "<") {
            out += rest[..<open]
            let tail = rest[rest.index(after: open)...]
            let name = tail.first == "/" ? tail.dropFirst() : tail
            guard let first = name.first, first.isASCII, first.isLetter, let close = tail.firstIndex(of: ">"),
                !tail[..<close].contains("<")
            else {
                out += "<"
                rest = tail
                continue
            }
            if name.prefix(2).lowercased() == "br", name.dropFirst(2).first.map({ !$0.isLetter }) ?? true { out += "\n" }
            rest = tail[tail.index(after: close)...]
        }
        return out + rest
    }
}
