import Foundation
import Testing
@testable import AmoSyncCore
@testable import TestFixtures

/// The JSON reader against Foundation's `JSONSerialization` on generated documents and on
/// byte-level mutations of them. Both must accept and reject the same texts and read the
/// same values, except where amosync is deliberately stricter (duplicate keys, invalid
/// UTF-8) or wider (numbers beyond `Double`'s range are kept as text, not refused).
@Suite struct JSONDifferentialTests {
    /// SplitMix64: the same documents on every run.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    }

    static let alphabet: [Unicode.Scalar] = [
        "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{1}", "\u{1F}", "é", "Ж", "€", "😀", "\u{FFFF}", "\u{7F}",
    ]

    static func string(_ g: inout Generator) -> String {
        var out = "\""
        for _ in 0..<g.below(8) {
            let scalar = alphabet[g.below(alphabet.count)]
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += g.chance(50) ? "\\n" : "\\u000a"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            case "/": out += g.chance(50) ? "\\/" : "/"
            case "😀": out += g.chance(50) ? "\\ud83d\\ude00" : "😀"
            default: out += g.chance(10) ? String(format: "\\u%04X", scalar.value) : String(scalar)
            }
        }
        return out + "\""
    }

    static func number(_ g: inout Generator) -> String {
        var out = g.chance(30) ? "-" : ""
        switch g.below(4) {
        case 0: out += "0"
        case 1: out += String(g.next() % 1_000_000)
        case 2: out += String(g.next() >> UInt64(g.below(64)))  // up to 20 digits: past Int64
        default: out += String(1 + g.below(9)) + String(repeating: "0", count: g.below(25))
        }
        if g.chance(40) { out += "." + String(g.next() % 100_000) }
        if g.chance(25) { out += ["e", "E"][g.below(2)] + ["", "+", "-"][g.below(3)] + String(g.below(300)) }
        return out
    }

    static func document(_ g: inout Generator, depth: Int = 0) -> String {
        let space = [" ", "", "\n", "\t", "\r\n"][g.below(5)]
        switch depth > 3 ? g.below(5) : g.below(7) {
        case 0: return "null"
        case 1: return g.chance(50) ? "true" : "false"
        case 2: return number(&g)
        case 3, 4: return string(&g)
        case 5: return "[" + (0..<g.below(5)).map { _ in space + document(&g, depth: depth + 1) }.joined(separator: ",") + space + "]"
        default:
            var keys = Set<String>()
            let members = (0..<g.below(5)).compactMap { _ -> String? in
                let key = string(&g)
                guard keys.insert(key).inserted else { return nil }
                return key + space + ":" + document(&g, depth: depth + 1)
            }
            return "{" + space + members.joined(separator: ",") + "}"
        }
    }

    static let significant = Array("{}[]\",:.-+eE0123456789\\ntfu \u{0}".utf8) + [0x80, 0xC3, 0xFF, 0xED]

    static func mutate(_ bytes: [UInt8], _ g: inout Generator) -> [UInt8] {
        var out = bytes
        for _ in 0..<(1 + g.below(3)) {
            let at = out.isEmpty ? 0 : g.below(out.count)
            switch g.below(4) {
            case 0 where !out.isEmpty: out.remove(at: at)
            case 1: out.insert(significant[g.below(significant.count)], at: at)
            case 2 where !out.isEmpty: out[at] = significant[g.below(significant.count)]
            default: out = Array(out.prefix(at))
            }
        }
        return out
    }

    /// Foundation's value in our terms, or a reason why it cannot be compared.
    static func same(_ ours: JSONValue, _ theirs: Any) -> Bool {
        switch (ours, theirs) {
        case (.null, is NSNull): return true
        case (.bool(let flag), let number as NSNumber) where String(describing: type(of: number)) == "__NSCFBoolean":
            return number.boolValue == flag
        case (.number(let value), let number as NSDecimalNumber): return value.decimal == number.decimalValue
        case (.number(let value), let number as NSNumber) where String(describing: type(of: number)) != "__NSCFBoolean":
            switch String(cString: number.objCType) {
            case "q", "i", "l", "s", "c":
                return value.isIntegerLiteral ? Int64(value.text) == number.int64Value : value.double == number.doubleValue
            case "Q": return UInt64(value.text) == number.uint64Value
            default: return value.double == number.doubleValue
            }
        case (.string(let text), let string as String): return text == string
        case (.array(let items), let array as [Any]): return items.count == array.count && zip(items, array).allSatisfy { same($0, $1) }
        case (.object(let members), let object as [String: Any]):
            return members.count == object.count && members.allSatisfy { key, value in object[key].map { same(value, $0) } ?? false }
        default: return false
        }
    }

    /// Where the two may disagree by design: amosync refuses duplicate keys and invalid UTF-8
    /// (Foundation lets the last key win and repairs), and keeps numbers beyond `Double` as
    /// text. Foundation also takes a trailing comma (`[true,]` reads as `[1]`) and stops at a
    /// NUL byte (`6\0` reads as `6`); RFC 8259 allows neither.
    static func expectedDisagreement(_ bytes: [UInt8], ours: Result<JSONValue, any Error>, theirs: Result<Any, any Error>) -> Bool {
        switch (ours, theirs) {
        case (.failure(let error as JSONParseError), .success):
            let text = String(decoding: bytes, as: UTF8.self)
            return error.reason.hasPrefix("duplicate key") || error.reason == "invalid UTF-8" || bytes.contains(0)
                || text.range(of: #",\s*[\]}]"#, options: .regularExpression) != nil
        case (.success(let value), .failure(let error)):
            return "\(error)".contains("not representable") || hasHugeNumber(value)
        default: return false
        }
    }

    static func hasHugeNumber(_ value: JSONValue) -> Bool {
        switch value {
        case .number(let number):
            return number.double == nil || (number.isIntegerLiteral && Int64(number.text) == nil && UInt64(number.text) == nil)
        case .array(let items): return items.contains(where: hasHugeNumber)
        case .object(let members): return members.values.contains(where: hasHugeNumber)
        default: return false
        }
    }

    @Test func agreesWithFoundationOnGeneratedAndMutatedDocuments() {
        var g = Generator(state: 20261130)
        var compared = 0, bothAccepted = 0, bothRejected = 0, byDesign = 0
        for _ in 0..<3000 {
            let valid = Array(Self.document(&g).utf8)
            for bytes in [valid] + (0..<4).map({ _ in Self.mutate(valid, &g) }) {
                let data = Data(bytes)
                let ours = Result { try JSONValue.parse(data) }
                let theirs = Result { try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) }
                compared += 1
                switch (ours, theirs) {
                case (.success(let a), .success(let b)):
                    bothAccepted += 1
                    #expect(Self.same(a, b), "different values for \(String(decoding: bytes, as: UTF8.self).debugDescription)")
                    #expect((try? JSONValue.parse(a.canonicalData)) == a, "canonical round trip")
                case (.failure, .failure): bothRejected += 1
                default:
                    if Self.expectedDisagreement(bytes, ours: ours, theirs: theirs) {
                        byDesign += 1
                    } else {
                        let text = String(decoding: bytes, as: UTF8.self).debugDescription
                        Issue.record("disagree on \(text) \(bytes): ours \(ours), Foundation \(theirs)")
                    }
                }
            }
        }
        #expect(compared == 15_000)
        #expect(
            bothAccepted > 3000 && bothRejected > 3000,
            "the mix exercises both sides: \(bothAccepted) accepted, \(bothRejected) rejected, \(byDesign) by design")
    }
}
