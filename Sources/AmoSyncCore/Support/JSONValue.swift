import Foundation

/// Any JSON document. Orders, forms, plans and the fake's state travel as this.
package enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

extension JSONValue: Codable {
    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .number(JSONNumber(value))
        } else if let value = try? container.decode(Double.self) {
            self = .number(JSONNumber(value))
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if let int = Int64(value.text) {
                try container.encode(int)
            } else if let decimal = value.decimal {
                try container.encode(decimal)
            } else {
                try container.encode(value.double ?? 0)
            }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByDictionaryLiteral,
    ExpressibleByArrayLiteral, ExpressibleByBooleanLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    package init(stringLiteral value: String) { self = .string(value) }
    package init(integerLiteral value: Int) { self = .number(JSONNumber(value)) }
    package init(floatLiteral value: Double) { self = .number(JSONNumber(value)) }
    package init(booleanLiteral value: Bool) { self = .bool(value) }
    package init(nilLiteral: ()) { self = .null }
    package init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    package init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

extension JSONValue {
    /// Parses a JSON document; throws on malformed input.
    package static func parse(_ data: Data) throws -> JSONValue {
        try JSONParser.parse(data)
    }

    /// Decodes any Decodable from this value.
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: try JSONEncoder().encode(self))
    }

    /// Encodes any Encodable into a JSONValue.
    package static func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: try JSONEncoder().encode(value))
    }

    /// Compact JSON with sorted keys: equal values give equal bytes.
    package var canonicalData: Data { Data(canonicalBytes) }

    package var canonicalBytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        JSONWriter.write(self, into: &bytes)
        return bytes
    }

    package var canonicalString: String { String(decoding: canonicalBytes, as: UTF8.self) }

    package var prettyString: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    package subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    /// Follows a dotted path (`customer.phone`, `items.0.name`).
    package func value(at path: String) -> JSONValue? {
        var current: JSONValue? = self
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            switch current {
            case .object(let object)?: current = object[String(part)]
            case .array(let array)?:
                guard let index = Int(part), array.indices.contains(index) else { return nil }
                current = array[index]
            default: return nil
            }
        }
        return current
    }

    package var objectValue: [String: JSONValue]? { if case .object(let v) = self { return v } else { return nil } }
    package var arrayValue: [JSONValue]? { if case .array(let v) = self { return v } else { return nil } }
    package var stringValue: String? { if case .string(let v) = self { return v } else { return nil } }
    package var boolValue: Bool? { if case .bool(let v) = self { return v } else { return nil } }
    /// A number, or a string holding one (`"1450.00"`, as WooCommerce and Shopify send money).
    var numberValue: JSONNumber? {
        switch self {
        case .number(let v): return v
        case .string(let s): return JSONNumber(parsing: s)
        default: return nil
        }
    }
    /// Finite only: `"nan"`, `"inf"` and `1e400` are nil.
    package var doubleValue: Double? { numberValue?.double }
    var decimalValue: Decimal? { numberValue?.decimal }
    package var intValue: Int? {
        if case .number(let v) = self { return v.int }
        return nil
    }
    package var isNull: Bool { if case .null = self { return true } else { return false } }
    /// nil for JSON null (beware: a bare `nil` literal would become `.null`).
    var nonNull: JSONValue? { isNull ? Optional.none : self }

    /// The value as text for a CRM field or a template: numbers without trailing zeros,
    /// nil for null, objects and arrays.
    package var textValue: String? {
        switch self {
        case .string(let s): return s
        case .number(let n): return n.description
        case .bool(let b): return b ? "true" : "false"
        case .null, .array, .object: return nil
        }
    }

    /// `5100`, `19.99`, `1.2`: never `5100.0`.
    static func format(_ number: Decimal) -> String { "\(number)" }
}

extension StringProtocol {
    /// Without leading and trailing white space and newlines. (Much cheaper than Foundation's
    /// `trimmingCharacters(in:)` on the intake path.)
    package var trimmed: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}
