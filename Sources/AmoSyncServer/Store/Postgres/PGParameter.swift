import Foundation

/// A value bound to a `$n` parameter, in PostgreSQL's text format (nil: SQL NULL).
package protocol PGParameter: Sendable {
    var pgText: String? { get }
}

extension String: PGParameter { package var pgText: String? { self } }
extension Int: PGParameter { package var pgText: String? { String(self) } }
extension Int64: PGParameter { package var pgText: String? { String(self) } }
extension Double: PGParameter { package var pgText: String? { "\(self)" } }
extension Bool: PGParameter { package var pgText: String? { self ? "true" : "false" } }
extension Optional: PGParameter where Wrapped: PGParameter { package var pgText: String? { self?.pgText } }

extension PGSession {
    /// One statement with typed parameters.
    @discardableResult
    package func query(_ sql: String, values: [any PGParameter]) throws -> [PGRow] {
        try query(sql, values.map(\.pgText))
    }

    /// How many rows the last statement of `sql` changed (`UPDATE … RETURNING 1`, counted).
    package func changes(_ sql: String, values: [any PGParameter]) throws -> Int {
        try query(sql + " RETURNING 1", values: values).count
    }
}
