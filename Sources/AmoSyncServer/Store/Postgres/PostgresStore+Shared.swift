import AmoSyncCore
import Foundation

/// Small shared state, the request budget, rotation turns and the products index on PostgreSQL:
/// the same rules as `SQLiteStore+Meta`, `+Budget` and `+Sales`.
extension PostgresStore: MetaStore, BudgetStore, SalesStore {
    package func setMeta(_ key: String, _ value: String?) async throws {
        try await write { try Self.setMeta(key, value, session: $0) }
    }

    static func setMeta(_ key: String, _ value: String?, session: PGSession) throws {
        if let value {
            try session.query(
                "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", [key, value])
        } else {
            try session.query("DELETE FROM meta WHERE key = $1", [key])
        }
    }

    package func meta(_ key: String) async throws -> String? {
        try await read { try $0.query("SELECT value FROM meta WHERE key = $1", [key]).first?["value"] }
    }

    package func issueOAuthState(_ state: String, expiresAt: Date) async throws {
        try await setMeta(OAuthStateRecord.key, OAuthStateRecord.value(state, expiresAt: expiresAt))
    }

    /// True once for the state issued last, before it expires: the row is locked, compared in
    /// constant time and deleted in one transaction, so a replay on another node finds nothing.
    package func consumeOAuthState(_ presented: String) async throws -> Bool {
        let now = self.now().timeIntervalSince1970
        return try await write { session in
            guard let raw = try session.query("SELECT value FROM meta WHERE key = $1 FOR UPDATE", [OAuthStateRecord.key]).first?["value"],
                let good = OAuthStateRecord.check(raw, presented: presented, now: now)
            else { return false }
            try session.query("DELETE FROM meta WHERE key = $1", [OAuthStateRecord.key])
            return good
        }
    }

    package func checkWritable() async throws {
        try await write { try $0.query("UPDATE meta SET value = value WHERE false") }
    }

    package func requests(notOf pid: Int, since: Double) async throws -> [(pid: Int, at: Double)] {
        try await read { session in
            try session.query("SELECT pid, at FROM api_requests WHERE pid <> $1 AND at > $2", ["\(pid)", "\(since)"]).compactMap { row in
                guard let pid = row.int("pid"), let at = row.double("at") else { return nil }
                return (pid, at)
            }
        }
    }

    package func recordRequest(pid: Int, at: Double) async throws -> Int64 {
        let horizon = now().timeIntervalSince1970 - 60
        return try await write { session in
            try session.query("DELETE FROM api_requests WHERE at < $1", ["\(horizon)"])
            return try session.query("INSERT INTO api_requests (pid, at) VALUES ($1, $2) RETURNING id", ["\(pid)", "\(at)"]).first?
                .int64("id") ?? 0
        }
    }

    package func setRequestTime(_ id: Int64, to at: Double) async throws {
        try await write { try $0.query("UPDATE api_requests SET at = $1 WHERE id = $2", ["\(at)", "\(id)"]) }
    }

    package func takeTurns(_ key: String, count: Int) async throws -> Int {
        try await write { session in
            let next =
                try session.query(
                    """
                    INSERT INTO meta (key, value) VALUES ($1, $2)
                    ON CONFLICT (key) DO UPDATE SET value = (meta.value::bigint + $2::bigint)::text RETURNING value
                    """, ["rotation_turn:\(key)", "\(count)"]
                ).first?.int("value") ?? count
            return next - count
        }
    }

    package func products(catalog: Int, skus: [String]) async throws -> [String: Int] {
        guard !skus.isEmpty else { return [:] }
        return try await read { session in
            var found: [String: Int] = [:]
            for row in try session.query(
                "SELECT sku, element_id FROM product_index WHERE catalog_id = $1 AND sku = ANY($2::text[])",
                ["\(catalog)", PostgresArray.text(skus)])
            {
                if let sku = row["sku"], let element = row.int("element_id") { found[sku] = element }
            }
            return found
        }
    }

    package func recordProducts(catalog: Int, _ elements: [String: Int]) async throws {
        guard !elements.isEmpty else { return }
        try await write { session in
            for (sku, element) in elements.sorted(by: { $0.key < $1.key }) {
                try session.query(
                    """
                    INSERT INTO product_index (catalog_id, sku, element_id) VALUES ($1, $2, $3)
                    ON CONFLICT (catalog_id, sku) DO UPDATE SET element_id = EXCLUDED.element_id
                    """, ["\(catalog)", sku, "\(element)"])
            }
        }
    }

    package func forgetProducts(catalog: Int, elements: [Int]) async throws {
        guard !elements.isEmpty else { return }
        try await write { session in
            try session.query(
                "DELETE FROM product_index WHERE catalog_id = $1 AND element_id = ANY($2::bigint[])",
                ["\(catalog)", PostgresArray.text(elements.map(String.init))])
        }
    }
}

/// A list as one parameter: PostgreSQL's array literal (`{"a","b \"c\""}`), quoted element by element.
enum PostgresArray {
    static func text(_ values: [String]) -> String {
        "{"
            + values.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }
}
