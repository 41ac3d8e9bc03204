/// What went wrong talking to PostgreSQL. Never carries the connection string or a password:
/// the server is named by host, port and database only.
package struct PGError: Error, Sendable, CustomStringConvertible {
    package enum Kind: Sendable, Equatable {
        /// The server cannot be reached, refused the login, or the connection broke.
        case connection
        /// The server refused a statement (its SQLSTATE says why).
        case query
    }

    package var kind: Kind
    /// The five-character SQLSTATE (`23505` unique violation, `40001` serialization failure …).
    package var sqlState: String?
    package var message: String

    package var description: String {
        (sqlState.map { "PostgreSQL \($0): " } ?? "PostgreSQL: ") + message
    }

    /// A unique constraint refused the row.
    package var isUniqueViolation: Bool { sqlState == "23505" }
}
