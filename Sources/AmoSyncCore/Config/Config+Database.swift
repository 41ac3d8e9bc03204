import Foundation

/// `database`: the queue in one SQLite file (`path`, one server) or on PostgreSQL (`url`,
/// several nodes on one queue).
extension Config {
    mutating func readDatabase(_ section: inout ConfigObject) {
        let path = section.string("path")
        let url = section.string("url")
        switch (path, url) {
        case (.some, .some):
            section.problems.add(
                section.path, "has both path (SQLite) and url (PostgreSQL): keep the one this installation uses")
        case (.some(let path), nil):
            databasePath = path
        case (nil, .some(let url)):
            if Self.isPostgresURL(url) {
                databaseURL = url
            } else {
                // The value is not repeated: it may hold a password.
                section.problems.add(
                    section.child("url"),
                    "expected postgres://USER:PASSWORD@HOST:5432/DATABASE (or env:NAME holding one; ?sslmode=require for TLS)")
            }
        case (nil, nil):
            section.problems.add(section.child("path"), "is required (or database.url for a queue on PostgreSQL)")
        }
    }

    /// `postgres://` or `postgresql://`, libpq's URL forms (an empty host, `postgres:///db`, is the
    /// local socket).
    package static func isPostgresURL(_ url: String) -> Bool {
        guard let components = URLComponents(string: url) else { return false }
        return components.scheme == "postgres" || components.scheme == "postgresql"
    }

    /// The queue's database for messages and logs: the file, or the server and database
    /// without user or password.
    package var databaseName: String {
        guard let databaseURL else { return databasePath }
        return Self.redacted(databaseURL)
    }

    /// `postgres://host:port/database`: what a URL names, never its credentials or options.
    package static func redacted(_ url: String) -> String {
        guard let components = URLComponents(string: url), components.scheme?.hasPrefix("postgres") == true else { return "PostgreSQL" }
        let port = components.port.map { ":\($0)" } ?? ""
        return "postgres://\(components.host ?? "")\(port)\(components.path)"
    }
}
