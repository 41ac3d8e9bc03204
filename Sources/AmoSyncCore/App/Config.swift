import Foundation

/// The whole configuration file (README, "Configuration"), typed and validated.
public struct Config: Sendable {
    public struct Server: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        public var maxBodyBytes = 262_144
        /// A new connection's request head must arrive within this.
        public var headerTimeoutSeconds = 10
        /// A request's body must arrive within this after its head.
        public var bodyTimeoutSeconds = 30
        /// A kept-alive connection with no request is closed after this.
        public var idleTimeoutSeconds = 60
        /// Connections open at once on the intake listener; more are closed at once.
        public var maxConnections = 512
        /// The operator listener for `/metrics`; nil: off. Never the intake port.
        public var metrics: Listener? = Listener(host: "127.0.0.1", port: 9464)
        /// Reverse proxies whose `X-Forwarded-For` / `X-Real-IP` name the client.
        public var trustedProxies: [CIDR] = []
    }

    /// A `host:port` to listen on.
    public struct Listener: Sendable, Equatable {
        public var host: String
        public var port: Int
    }

    public struct AmoCRM: Sendable {
        public var subdomain = ""
        public var domain = "amocrm.ru"
        public var baseURL: String?
        public var clientID: String?
        public var clientSecret: String?
        public var redirectURI: String?
        public var authCode: String?
        public var longLivedToken: String?
        public var tokensFile = "/var/lib/amosync/tokens.json"
        public var requestsPerSecond: Double = 7
        public var timeoutSeconds: Double = 20
        /// See `RateLimiter`: how much later than its sending a request may reach amoCRM.
        public var arrivalAllowanceMs = 50
        /// Follow an OAuth referer naming another amoCRM host (a renamed account).
        public var followReferer = false

        /// Which OAuth referer may move the connection: the account host, or (with
        /// `follow_referer` and no `base_url`) another host under amoCRM's domains.
        public var referers: RefererPolicy {
            RefererPolicy(accountHost: "\(subdomain).\(domain)", followRenamed: followReferer && baseURL == nil)
        }

        /// The account's one rate limiter, with this process's share of the common budget.
        public func limiter(outageBase: Double = 1, shared: SharedBudget?) -> RateLimiter {
            RateLimiter(requestsPerSecond: requestsPerSecond, arrivalAllowance: .milliseconds(arrivalAllowanceMs),
                        outageBase: outageBase, shared: shared)
        }

        /// `https://{subdomain}.{domain}` unless `base_url` overrides it.
        public var apiBase: String {
            var base = baseURL ?? "https://\(subdomain).\(domain)"
            while base.hasSuffix("/") { base.removeLast() }
            return base
        }

        /// Where a manager opens a lead in the browser.
        public func leadURL(_ id: Int) -> String { "https://\(subdomain).\(domain)/leads/detail/\(id)" }
    }

    public struct Worker: Sendable {
        public var concurrency = 4
        public var maxAttempts = 12
        public var backoffBaseSeconds: Double = 10
        public var backoffMaxSeconds: Double = 3600
        public var leaseSeconds: Double = 120
        public var batchSize = 50
    }

    public struct Fields: Sendable {
        public var skipEmpty = true
        public var autoCreateLeads = true
        public var autoCreateContacts = true
    }

    public struct Contacts: Sendable {
        public var matchBy: [String] = ["phone", "email"]
        public var defaultCountryCode = "7"
        public var phoneEnum = "WORK"
        public var emailEnum = "WORK"
        public var readonlyFields: [String] = ["name"]
    }

    public struct CategoryRule: Sendable, Equatable {
        public var pipelineID: Int
        public var statusID: Int
        public var responsibleUserID: Int?
    }

    public struct Orders: Sendable {
        public var pipelineID = 0
        public var statusID = 0
        public var responsibleUserID: Int?
        public var leadName = "Заказ #{id}"
        public var categories: [Int: CategoryRule] = [:]
        public var categoryResponsibleWins = true
        public var statusMap: [String: Int] = [:]
        public var leadFields: [String: FieldRef] = [:]
        public var contactFields: [String: FieldRef] = [:]
        public var tags: [String] = []
        public var note = true
    }

    public struct Source: Sendable {
        public var type: String
        public var secret: String?
        public var form: String?
    }

    public struct Form: Sendable {
        public var createLead = true
        public var pipelineID: Int?
        public var statusID: Int?
        public var responsibleUserID: Int?
        public var leadName = "Заявка с сайта: {form}"
        public var contactName = "name"
        public var contactPhone = "phone"
        public var contactEmail = "email"
        public var leadFields: [String: FieldRef] = [:]
        public var contactFields: [String: FieldRef] = [:]
        public var requiredFields: [String] = []
        public var tags: [String] = []
        public var note = true
        public var isPublic = false
        public var redirectURL: String?
        /// Origins allowed to `fetch()` this form from a browser (CORS).
        public var allowedOrigins: [String] = []
        /// An input real people leave empty; a bot that fills it is dropped silently.
        public var honeypot: String?
        /// Submissions per minute from one IP address (public forms; 0 = no limit).
        public var perIPPerMinute = 20
    }

    public var server = Server()
    public var databasePath = "/var/lib/amosync/queue.sqlite3"
    public var amocrm = AmoCRM()
    public var intakeTokens: [String] = []
    public var worker = Worker()
    public var fields = Fields()
    public var contacts = Contacts()
    public var orders = Orders()
    public var utmFields: [String: FieldRef] = [:]
    public var sources: [String: Source] = [:]
    public var catalogProducts: [String: [Int]] = [:]
    public var catalogSKUs: [String: [Int]] = [:]
    public var forms: [String: Form] = [:]
    public var retentionDays = 30

    public init() {}
}

extension Config {
    public static let phoneEnums = ["WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER"]
    public static let emailEnums = ["WORK", "PRIV", "OTHER"]
    public static let sourceTypes = ["woocommerce", "shopify", "tilda"]

    /// Reads and validates a config file; every problem is reported with its key path.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Config {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(problems: [.init(path: "", message: "cannot read config file \(path)")])
        }
        return try parse(data, environment: environment)
    }

    /// Parses and validates config JSON.
    public static func parse(_ data: Data, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Config {
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

    static func describe(_ error: any Error) -> String {
        if let error = error as? JSONParseError { return error.description }
        if case DecodingError.dataCorrupted(let context) = error {
            return (context.underlyingError.map { "\($0.localizedDescription)" }) ?? context.debugDescription
        }
        return "\(error)"
    }
}
