import Foundation
import GRDB
import AmoSyncCore

/// Rotation turns (in `meta`, `rotation_turn:KEY`) and the products index (`product_index`).
extension SQLiteStore {
    package func takeTurns(_ key: String, count: Int) async throws -> Int {
        try await database.write { db in
            let name = "rotation_turn:\(key)"
            let first = Int(try MetaRecord.fetchOne(db, key: name)?.value ?? "") ?? 0
            try Self.setMeta(name, "\(first + count)", db: db)
            return first
        }
    }

    package func products(catalog: Int, skus: [String]) async throws -> [String: Int] {
        guard !skus.isEmpty else { return [:] }
        return try await database.read { db in
            var found: [String: Int] = [:]
            for chunk in skus.chunks(of: 500) {
                let rows = try Row.fetchAll(
                    db,
                    sql: "SELECT sku, element_id FROM product_index WHERE catalog_id = ? AND sku IN "
                        + "(\(databaseQuestionMarks(count: chunk.count)))",
                    arguments: StatementArguments([catalog] as [any DatabaseValueConvertible] + Array(chunk)))
                for row in rows { found[row["sku"]] = row["element_id"] }
            }
            return found
        }
    }

    package func recordProducts(catalog: Int, _ elements: [String: Int]) async throws {
        guard !elements.isEmpty else { return }
        try await settle { db in
            for (sku, element) in elements {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO product_index (catalog_id, sku, element_id) VALUES (?, ?, ?)",
                    arguments: [catalog, sku, element])
            }
        }
    }

    package func forgetProducts(catalog: Int, elements: [Int]) async throws {
        guard !elements.isEmpty else { return }
        try await settle { db in
            try db.execute(
                sql: "DELETE FROM product_index WHERE catalog_id = ? AND element_id IN (\(databaseQuestionMarks(count: elements.count)))",
                arguments: StatementArguments([catalog] + elements))
        }
    }
}
