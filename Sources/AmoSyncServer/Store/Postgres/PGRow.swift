import Foundation

/// One row of an answer, its values as PostgreSQL's text format gives them (nil: SQL NULL).
package struct PGRow: Sendable {
    let columns: [String: Int]
    package let values: [String?]

    package subscript(_ column: String) -> String? {
        guard let index = columns[column] else { return nil }
        return values[index]
    }

    package func int(_ column: String) -> Int? { self[column].flatMap { Int($0) } }
    package func int64(_ column: String) -> Int64? { self[column].flatMap { Int64($0) } }
    package func double(_ column: String) -> Double? { self[column].flatMap { Double($0) } }
    /// `t` / `f`, as the text format writes booleans.
    package func bool(_ column: String) -> Bool? { self[column].map { $0 == "t" } }
}
