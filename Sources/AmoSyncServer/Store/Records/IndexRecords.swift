import GRDB

/// A row of `contact_index`: one contact as the index keeps it.
struct ContactIndexRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "contact_index"
    var contactID: Int
    var updatedAt: Int
    var data: String

    enum CodingKeys: String, CodingKey, ColumnExpression { case contactID = "contact_id", updatedAt = "updated_at", data }
}

/// A row of `contact_keys`: a normalized phone or email of an indexed contact.
struct ContactKeyRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "contact_keys"
    var key: String
    var contactID: Int

    enum CodingKeys: String, CodingKey, ColumnExpression { case key, contactID = "contact_id" }
}

/// A row of `api_requests`: one request to the account, by any process.
struct RequestRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "api_requests"
    var id: Int64?
    var pid: Int
    var at: Double

    enum CodingKeys: String, CodingKey, ColumnExpression { case id, pid, at }
}

/// A row of `meta`: small shared state.
struct MetaRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "meta"
    var key: String
    var value: String

    enum CodingKeys: String, CodingKey, ColumnExpression { case key, value }
}
