import AmoSyncCore
import Foundation

/// How amoCRM's JSON is written and read, in one place: compact, sorted keys (equal bodies
/// are equal bytes), unescaped slashes.
package enum AmoJSON {
    package static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    package static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try JSONDecoder().decode(type, from: data)
    }

    /// A value as a `JSONValue` (for a body that is built, then adjusted).
    package static func value<T: Encodable>(_ value: T) throws -> JSONValue {
        try JSONValue.parse(try encode(value))
    }

    /// A `JSONValue` read as a type.
    package static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        try decode(type, from: value.canonicalData)
    }
}

/// `request_id`: a string in requests and in most answers, an array of strings in the answer
/// of `leads/complex` (several when duplicate control merged leads of one request).
package struct RequestIDs: Codable, Sendable, Equatable {
    package var values: [String]

    package init(_ values: [String]) { self.values = values }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let one = try? container.decode(String.self) {
            values = [one]
        } else if let number = try? container.decode(Int.self) {
            values = ["\(number)"]
        } else {
            values = try container.decode([String].self)
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if values.count == 1 { try container.encode(values[0]) } else { try container.encode(values) }
    }
}
