import Foundation
import Testing
@testable import AmoSyncCore
@testable import TestFixtures

@Suite struct ConfigTests {
    static let minimal: JSONValue = [
        "database": ["path": "/tmp/q.sqlite3"],
        "amocrm": ["subdomain": "example", "long_lived_token": "env:AMO_TOKEN"],
        "intake": ["tokens": ["0123456789abcdef0123"]],
        "orders": ["pipeline_id": 1, "status_id": 2],
    ]
    static let env = ["AMO_TOKEN": "token-value"]

    func problems(_ json: JSONValue, env: [String: String] = ConfigTests.env) -> [String] {
        do {
            _ = try Config.parse(json.canonicalData, environment: env)
            return []
        } catch let error as ConfigError {
            return error.problems.map(\.line)
        } catch {
            return ["\(error)"]
        }
    }

    @Test func exampleConfigPassesValidation() throws {
        let url = Repository.file("config.example.json")
        let env = [
            "AMOCRM_CLIENT_SECRET": "s", "AMOSYNC_INTAKE_TOKEN": "intake-token-0123456789", "WC_WEBHOOK_SECRET": "w",
            "SHOPIFY_SECRET": "x", "AMOCRM_LONG_LIVED_TOKEN": "t",
        ]
        let config = try Config.parse(try Data(contentsOf: url), environment: env)
        #expect(config.orders.categories[40]?.pipelineID != nil)
        #expect(!config.forms.isEmpty)
        #expect(config.amocrm.requestsPerSecond <= 7)
    }

    @Test func minimalConfigUsesDefaults() throws {
        let config = try Config.parse(Self.minimal.canonicalData, environment: Self.env)
        #expect(config.amocrm.longLivedToken == "token-value")
        #expect(config.server.port == 8080)
        #expect(config.worker.batchSize == 50)
        #expect(config.contacts.phoneEnum == "WORK")
        #expect(config.amocrm.apiBase == "https://example.amocrm.ru")
    }

    @Test(
        arguments: [
            ("server.prot", JSONValue.number(1), "server.prot: unknown key"),
            ("amocrm.requests_per_second", JSONValue.number(8), "amocrm.requests_per_second: must be between 0.1 and 7, got 8"),
            ("server.port", JSONValue.string("80"), "server.port: expected integer"),
            ("amocrm.arrival_allowance_ms", JSONValue.number(-5), "amocrm.arrival_allowance_ms: must be between 0 and 300000, got -5"),
            ("orders.categories", JSONValue.object(["40": ["pipeline_id": 5]]), "orders.categories.40.status_id: is required"),
            (
                "orders.pipeline_id", JSONValue.null,
                "orders.pipeline_id: is required with status_id (without both, leads go to the main pipeline)"
            ),
            (
                "orders.status_id", JSONValue.null,
                "orders.status_id: is required with pipeline_id (without both, leads go to the main pipeline)"
            ),
            (
                "orders.categories", JSONValue.object(["40": ["pipeline_id": 5, "status_id": "x"]]),
                "orders.categories.40.status_id: expected integer"
            ),
            (
                "contacts.enum_types", JSONValue.object(["phone": "CELL"]),
                "contacts.enum_types.phone: unknown enum code CELL; one of WORK, WORKDD, MOB, FAX, HOME, OTHER"
            ),
            ("contacts.match_by", JSONValue.array(["phone", "inn"]), "contacts.match_by.1: must be phone or email, got inn"),
            (
                "orders.lead_fields", JSONValue.object(["goods": ["name": "Товары", "type": "blob"]]),
                "orders.lead_fields.goods.type: must be one of checkbox, date, numeric, text, textarea, url, got blob"
            ),
            ("worker.batch_size", JSONValue.number(51), "worker.batch_size: must be between 1 and 50, got 51"),
            (
                "server.metrics", JSONValue.string("9464"),
                #"server.metrics: expected "HOST:PORT" (e.g. "127.0.0.1:9464") or "off", got "9464""#
            ),
            (
                "server.trusted_proxies", ["10.0.0.0/33"],
                #"server.trusted_proxies.0: expected an IP address or CIDR (e.g. "127.0.0.1/32"), got "10.0.0.0/33""#
            ),
            ("forms.callback", JSONValue.object(["pipeline_id": 5]), "forms.callback.status_id: pipeline_id and status_id go together"),
            ("sources.woo", JSONValue.object(["type": "woocommerce"]), "sources.woo.secret: is required for woocommerce signatures"),
        ] as [(String, JSONValue, String)])
    func invalidValuesNameTheirKeyPath(path: String, value: JSONValue, expected: String) {
        var json = Self.minimal
        json.set(path, value)
        #expect(problems(json).contains(expected), "\(problems(json))")
    }

    @Test func missingRequiredSectionsAreAllReported() {
        let found = problems(["server": ["port": 1]])
        #expect(found.contains("database: is required"))
        #expect(found.contains("amocrm: is required"))
        #expect(found.contains("intake: is required"))
        #expect(found.contains("orders: is required"))
    }

    @Test func missingEnvironmentVariableIsNamed() {
        #expect(problems(Self.minimal, env: [:]) == ["amocrm.long_lived_token: environment variable AMO_TOKEN is not set"])
    }

    @Test func oauthKeysAreRequiredWithoutLongLivedToken() {
        var json = Self.minimal
        json.set("amocrm", ["subdomain": "example"])
        #expect(problems(json).contains("amocrm.client_secret: is required unless long_lived_token is set"))
    }

    @Test func malformedJSONIsReported() {
        #expect(throws: ConfigError.self) { try Config.parse(Data("{\"server\": ".utf8), environment: [:]) }
    }

    @Test func theQueueIsAFileOrAPostgreSQLURLNeverBothAndTheURLIsNeverRepeated() throws {
        var json = Self.minimal
        json.set("database", ["url": "env:AMOSYNC_DATABASE_URL"])
        let secret = "postgres://amosync:pa55-word@db.example.org:5432/queue?sslmode=require"
        let config = try Config.parse(json.canonicalData, environment: Self.env.merging(["AMOSYNC_DATABASE_URL": secret]) { $1 })
        #expect(config.databaseURL == secret)
        #expect(config.databaseName == "postgres://db.example.org:5432/queue", "no user, password or options")
        #expect(!"\(config)".contains("pa55-word"))
        json.set("database", ["url": "postgresql:///queue?host=/var/run/postgresql"])
        #expect(problems(json).isEmpty, "libpq's local socket form")
        json.set("database", ["url": "mysql://root:pa55-word@db/queue"])
        let refused = problems(json)
        #expect(refused.count == 1 && refused[0].hasPrefix("database.url: expected postgres://USER:PASSWORD@HOST:5432/DATABASE"))
        #expect(!refused[0].contains("pa55-word"))
        json.set("database", ["url": "postgres://db/queue", "path": "/tmp/q.sqlite3"])
        #expect(problems(json) == ["database: has both path (SQLite) and url (PostgreSQL): keep the one this installation uses"])
        json.set("database", [:])
        #expect(problems(json) == ["database.path: is required (or database.url for a queue on PostgreSQL)"])
    }
}
