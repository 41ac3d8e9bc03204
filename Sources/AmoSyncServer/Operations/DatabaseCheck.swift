import AmoSyncCore
import Foundation

/// `amosync check` on the queue's database when it is PostgreSQL: reachable, version 13 or
/// newer, migrations, the clock skew between this node and the database, who delivers.
package struct DatabaseCheck: Sendable {
    package struct Line: Sendable, Equatable {
        package var problem: Bool
        package var text: String
    }

    /// Oldest PostgreSQL amosync runs on (`FOR UPDATE SKIP LOCKED`, `hashtextextended`, …: 11;
    /// 13 is the oldest the PostgreSQL project still supported when this was written).
    static let minimumVersion = 130_000
    /// Nodes stamp the request budget with their own clocks: past this, they stop agreeing.
    static let maximumSkew = 1.0

    let url: String

    package init(url: String) { self.url = url }

    package func run() async -> [Line] {
        let name = Config.redacted(url)
        let report: PostgresReport
        do { report = try await PostgresStore.inspect(url: url) } catch {
            return [Line(problem: true, text: "database.url: cannot reach \(name): \(error)")]
        }
        var lines = [Line(problem: false, text: "database.url: \(name) reachable, PostgreSQL \(report.versionText)")]
        if report.version < Self.minimumVersion {
            lines.append(
                Line(problem: true, text: "database.url: PostgreSQL \(report.versionText) is older than 13: upgrade the server"))
        }
        if !report.missing.isEmpty {
            lines.append(
                Line(
                    problem: false,
                    text: "database.url: \(report.missing.count) migration(s) not applied yet (\(report.missing.joined(separator: ", "))): "
                        + "the first node that starts applies them, once"))
        }
        if !report.unknown.isEmpty {
            lines.append(
                Line(
                    problem: true,
                    text:
                        "database.url: the database has migrations this amosync does not know (\(report.unknown.joined(separator: ", "))): "
                        + "a newer amosync uses it; upgrade this node"))
        }
        let skew = (report.clockSkew * 10).rounded() / 10
        if abs(report.clockSkew) > Self.maximumSkew {
            lines.append(
                Line(
                    problem: true,
                    text: "database.url: this machine's clock is \(abs(skew)) s \(skew > 0 ? "behind" : "ahead of") the database's: "
                        + "nodes share amoCRM's rate budget by time; run NTP (systemd-timesyncd or chrony) on every node"))
        } else {
            lines.append(Line(problem: false, text: "database.url: clock skew to the database \(skew) s"))
        }
        for lease in report.leases {
            lines.append(
                Line(
                    problem: false,
                    text: lease.remaining > 0
                        ? "\(lease.name): delivered by \(lease.holder) (lease renewed, \(Int(lease.remaining.rounded())) s left)"
                        : "\(lease.name): no node holds the lease now (the next node to ask takes it within 2 s)"))
        }
        if !report.liveNodes.isEmpty {
            lines.append(Line(problem: false, text: "nodes seen in the last minute: \(report.liveNodes.joined(separator: ", "))"))
        }
        return lines
    }
}
