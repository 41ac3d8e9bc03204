import AmoSyncCore

/// Any JSON inside a typed model (event values, whose shape depends on the event type).
package struct JSONValueBox: Codable, Sendable, Equatable {
    package var value: JSONValue
    package init(_ value: JSONValue) { self.value = value }
    package init(from decoder: any Decoder) throws { value = try JSONValue(from: decoder) }
    package func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}
