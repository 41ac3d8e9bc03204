import Foundation

/// The whole configuration file (README, "Configuration"), typed and validated.
package struct Config: Sendable {
    package struct Server: Sendable {
        package var host = "127.0.0.1"
        package var port = 8080
        package var maxBodyBytes = 262_144
        /// A new connection's request head must arrive within this.
        package var headerTimeoutSeconds = 10
        /// A request's body must arrive within this after its head.
        package var bodyTimeoutSeconds = 30
        /// A kept-alive connection with no request is closed after this.
        package var idleTimeoutSeconds = 60
        /// Connections open at once on the intake listener; more are closed at once.
        package var maxConnections = 512
        /// Of those, at most this many from one client address (trusted proxies excepted).
        package var maxConnectionsPerAddress = 64
        /// The operator listener for `/metrics`; nil: off. Never the intake port.
        package var metrics: Listener? = Listener(host: "127.0.0.1", port: 9464)
        /// Reverse proxies whose `X-Forwarded-For` / `X-Real-IP` name the client.
        package var trustedProxies: [CIDR] = []
    }

    /// A `host:port` to listen on.
    package struct Listener: Sendable, Equatable {
        package var host: String
        package var port: Int
    }

    package struct AmoCRM: Sendable {
        package var subdomain = ""
        package var domain = "amocrm.ru"
        var baseURL: String?
        package var clientID: String?
        package var clientSecret: String?
        package var redirectURI: String?
        package var authCode: String?
        package var longLivedToken: String?
        package var tokensFile = "/var/lib/amosync/tokens.json"
        package var requestsPerSecond: Double = 7
        package var timeoutSeconds: Double = 20
        /// See `RateLimiter`: how much later than its sending a request may reach amoCRM.
        package var arrivalAllowanceMs = 50
        /// Follow an OAuth referer naming another amoCRM host (a renamed account).
        var followReferer = false
        /// amoCRM's webhook into amosync (lead stage changes); nil: none is received.
        package var webhook: AmoWebhook?
        /// How often missed stage changes are read from `GET /api/v4/events` (0: never).
        package var eventsPollMinutes = 5

        /// Which OAuth referer may move the connection: the account host, or (with
        /// `follow_referer` and no `base_url`) another host under amoCRM's domains.
        package var referers: RefererPolicy {
            RefererPolicy(accountHost: "\(subdomain).\(domain)", followRenamed: followReferer && baseURL == nil)
        }

        /// `https://{subdomain}.{domain}` unless `base_url` overrides it.
        package var apiBase: String {
            var base = baseURL ?? "https://\(subdomain).\(domain)"
            while base.hasSuffix("/") { base.removeLast() }
            return base
        }

        /// Where a manager opens a lead in the browser.
        package func leadURL(_ id: Int) -> String { "https://\(subdomain).\(domain)/leads/detail/\(id)" }
    }

    package struct Worker: Sendable {
        package var concurrency = 4
        package var maxAttempts = 12
        package var backoffBaseSeconds: Double = 10
        package var backoffMaxSeconds: Double = 3600
        package var leaseSeconds: Double = 120
        package var batchSize = 50
    }

    package struct Fields: Sendable {
        var skipEmpty = true
        package var autoCreateLeads = true
        package var autoCreateContacts = true
    }

    package struct Contacts: Sendable {
        package var matchBy: [String] = ["phone", "email"]
        package var defaultCountryCode = "7"
        package var phoneEnum = "WORK"
        package var emailEnum = "WORK"
        package var readonlyFields: [String] = ["name"]
        /// How often the contact index reads amoCRM's changes in the background; a batch uses
        /// the index without a request while its last refresh is younger than twice this.
        /// 0: refresh in front of every batch and make the full sync before the first delivery.
        package var indexRefreshSeconds = 5.0
        /// The share of the request budget the background full sync may take.
        package var indexSyncRequestsPerSecond = 3.0
    }

    package struct CategoryRule: Sendable, Equatable {
        package var pipelineID: Int
        package var statusID: Int
        package var responsibleUserID: Int?
    }

    package struct Orders: Sendable {
        /// nil (with `statusID`): amoCRM's default, the main pipeline's first stage.
        package var pipelineID: Int?
        package var statusID: Int?
        package var responsibleUserID: Int?
        var leadName = "Заказ #{id}"
        package var categories: [Int: CategoryRule] = [:]
        var categoryResponsibleWins = true
        package var statusMap: [String: Int] = [:]
        package var leadFields: [String: FieldRef] = [:]
        package var contactFields: [String: FieldRef] = [:]
        var tags: [String] = []
        var note = true
        /// Stage changes posted to the shop's own backend (or the MODX plugin).
        package var statusBack: OwnStatusBack?
        /// New orders go to amoCRM's incoming leads instead of a stage.
        package var unsorted = false
        package var products: Products?
        package var task: TaskRule?
        package var rotation: Rotation?
    }

    package struct Source: Sendable {
        package var type: String
        package var secret: String?
        package var form: String?
        /// The shop's API, for writing statuses back.
        package var api: ShopAPI?
        /// amoCRM status id → what the shop's order becomes (a WooCommerce status; Shopify's
        /// `close`, `cancel`, `tag:TEXT`).
        package var statusBack: [Int: String] = [:]
        /// How often the shop is asked for orders amosync never received (with `api`; 0: never).
        package var reconcileMinutes = 10
        /// How far the first pass looks back.
        package var reconcileLookbackHours = 24

        /// Whether the shop is looked at every `reconcileMinutes`: its webhooks and its orders.
        package var reconciles: Bool { api != nil && reconcileMinutes > 0 && (type == "woocommerce" || type == "shopify") }

        package init(type: String, secret: String? = nil, form: String? = nil) {
            self.type = type
            self.secret = secret
            self.form = form
        }
    }

    package struct Form: Sendable {
        package var createLead = true
        package var pipelineID: Int?
        package var statusID: Int?
        package var responsibleUserID: Int?
        var leadName = "Заявка с сайта: {form}"
        package var contactName = "name"
        package var contactPhone = "phone"
        package var contactEmail = "email"
        package var leadFields: [String: FieldRef] = [:]
        package var contactFields: [String: FieldRef] = [:]
        var requiredFields: [String] = []
        var tags: [String] = []
        var note = true
        package var isPublic = false
        package var redirectURL: String?
        /// Origins allowed to `fetch()` this form from a browser (CORS).
        package var allowedOrigins: [String] = []
        /// An input real people leave empty; a bot that fills it is dropped silently.
        package var honeypot: String?
        /// Submissions per minute from one IP address (public forms; 0 = no limit).
        package var perIPPerMinute = 20
        /// Submissions go to amoCRM's incoming leads instead of a stage.
        package var unsorted = false
        package var task: TaskRule?
        package var rotation: Rotation?
    }

    package var server = Server()
    package var databasePath = "/var/lib/amosync/queue.sqlite3"
    /// `database.url`: the queue on PostgreSQL (several nodes), instead of the SQLite file.
    package var databaseURL: String?
    package var amocrm = AmoCRM()
    package var intakeTokens: [String] = []
    package var worker = Worker()
    package var fields = Fields()
    package var contacts = Contacts()
    package var orders = Orders()
    package var utmFields: [String: FieldRef] = [:]
    package var sources: [String: Source] = [:]
    var catalogProducts: [String: [Int]] = [:]
    var catalogSKUs: [String: [Int]] = [:]
    package var forms: [String: Form] = [:]
    package var retentionDays = 30

    init() {}
}

extension Config {
    static let phoneEnums = ["WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER"]
    static let emailEnums = ["WORK", "PRIV", "OTHER"]
    static let sourceTypes = ["woocommerce", "shopify", "tilda"]

    /// Parses and validates config JSON.
    package static func parse(_ data: Data, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Config {
        let json: JSONValue
        do {
            json = try JSONValue.parse(data)
        } catch {
            throw ConfigError(problems: [.init(path: "", message: "not valid JSON: \(Self.describe(error))")])
        }
        let problems = ConfigProblems(environment: environment)
        guard var root = ConfigObject(json, path: "", problems: problems) else {
            throw ConfigError(problems: problems.list)
        }
        var config = Config()
        config.read(&root)
        root.finish()
        if !problems.list.isEmpty { throw ConfigError(problems: problems.list) }
        return config
    }

    package static func describe(_ error: any Error) -> String {
        if let error = error as? JSONParseError { return error.description }
        if case DecodingError.dataCorrupted(let context) = error {
            return (context.underlyingError.map { "\($0.localizedDescription)" }) ?? context.debugDescription
        }
        return "\(error)"
    }
}
