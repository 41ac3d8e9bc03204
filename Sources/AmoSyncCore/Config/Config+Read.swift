import Foundation

extension Config {
    mutating func read(_ root: inout ConfigObject) {
        let problems = root.problems
        if var section = root.object("server") {
            server.host = section.string("host") ?? server.host
            server.port = section.int("port", range: 0...65535) ?? server.port
            server.maxBodyBytes = section.int("max_body_bytes", range: 1024...(64 << 20)) ?? server.maxBodyBytes
            server.headerTimeoutSeconds = section.int("header_timeout_seconds", range: 1...600) ?? server.headerTimeoutSeconds
            server.bodyTimeoutSeconds = section.int("body_timeout_seconds", range: 1...3600) ?? server.bodyTimeoutSeconds
            server.idleTimeoutSeconds = section.int("idle_timeout_seconds", range: 1...3600) ?? server.idleTimeoutSeconds
            server.maxConnections = section.int("max_connections", range: 1...100_000) ?? server.maxConnections
            server.maxConnectionsPerAddress =
                section.int("max_connections_per_address", range: 1...100_000) ?? server.maxConnectionsPerAddress
            if let value = section.raw("metrics") {
                switch value {
                case .bool(false), .string("off"): server.metrics = nil
                case .string(let text):
                    if let listener = Self.listener(text) {
                        server.metrics = listener
                    } else {
                        problems.add("server.metrics", "expected \"HOST:PORT\" (e.g. \"127.0.0.1:9464\") or \"off\", got \"\(text)\"")
                    }
                default: problems.add("server.metrics", "expected \"HOST:PORT\" or \"off\"")
                }
            }
            if let proxies = section.strings("trusted_proxies") {
                server.trustedProxies = proxies.enumerated().compactMap { index, text in
                    if let cidr = CIDR(text) { return cidr }
                    problems.add(
                        "server.trusted_proxies.\(index)", "expected an IP address or CIDR (e.g. \"127.0.0.1/32\"), got \"\(text)\"")
                    return nil
                }
            }
            section.finish()
        }
        if var section = root.object("database") {
            readDatabase(&section)
            section.finish()
        } else {
            problems.add("database", "is required")
        }
        if var section = root.object("amocrm") {
            readAmoCRM(&section)
        } else {
            problems.add("amocrm", "is required")
        }
        if var section = root.object("intake") {
            intakeTokens = section.strings("tokens") ?? []
            if intakeTokens.isEmpty { problems.add(section.child("tokens"), "at least one token is required") }
            if intakeTokens.contains(where: { $0.count < 16 }) {
                problems.add(section.child("tokens"), "tokens must be at least 16 characters long")
            }
            section.finish()
        } else {
            problems.add("intake", "is required")
        }
        if var section = root.object("worker") {
            worker.concurrency = section.int("concurrency", range: 1...16) ?? worker.concurrency
            worker.maxAttempts = section.int("max_attempts", range: 1...100) ?? worker.maxAttempts
            worker.backoffBaseSeconds = section.double("backoff_base_seconds", range: 0.01...86_400) ?? worker.backoffBaseSeconds
            worker.backoffMaxSeconds = section.double("backoff_max_seconds", range: 0.01...604_800) ?? worker.backoffMaxSeconds
            worker.leaseSeconds = section.double("lease_seconds", range: 5...86_400) ?? worker.leaseSeconds
            worker.batchSize = section.int("batch_size", range: 1...50) ?? worker.batchSize
            if worker.backoffMaxSeconds < worker.backoffBaseSeconds {
                problems.add(section.child("backoff_max_seconds"), "must not be smaller than backoff_base_seconds")
            }
            section.finish()
        }
        if var section = root.object("fields") {
            fields.skipEmpty = section.bool("skip_empty") ?? fields.skipEmpty
            if var auto = section.object("auto_create") {
                fields.autoCreateLeads = auto.bool("leads") ?? fields.autoCreateLeads
                fields.autoCreateContacts = auto.bool("contacts") ?? fields.autoCreateContacts
                auto.finish()
            }
            section.finish()
        }
        if var section = root.object("contacts") { readContacts(&section) }
        if var section = root.object("orders") {
            readOrders(&section)
        } else {
            problems.add("orders", "is required")
        }
        utmFields = root.fieldMap("utm_fields") ?? [:]
        if var section = root.object("sources") { readSources(&section) }
        if var section = root.object("catalog") {
            catalogProducts = Self.readCatalog(&section, key: "products")
            catalogSKUs = Self.readCatalog(&section, key: "skus")
            section.finish()
        }
        if var section = root.object("forms") {
            for name in section.values.keys.sorted() {
                guard var form = section.object(name) else { continue }
                forms[name] = readForm(&form)
            }
            section.finish()
        }
        retentionDays = root.int("retention_days", range: 1...3650) ?? retentionDays
        for (name, source) in sources where source.type == "tilda" {
            if let form = source.form, forms[form] == nil {
                problems.add("sources.\(name).form", "no form named \(form) in forms")
            }
        }
    }

    private mutating func readAmoCRM(_ section: inout ConfigObject) {
        let problems = section.problems
        amocrm.subdomain = section.string("subdomain", required: true) ?? ""
        if !amocrm.subdomain.isEmpty, amocrm.subdomain.contains(where: { !($0.isLetter || $0.isNumber || $0 == "-") }) {
            problems.add(section.child("subdomain"), "expected the account name only, like \"example\" for example.amocrm.ru")
        }
        amocrm.domain = section.string("domain") ?? amocrm.domain
        if !["amocrm.ru", "amocrm.com", "kommo.com"].contains(amocrm.domain) {
            problems.add(section.child("domain"), "must be amocrm.ru, amocrm.com or kommo.com")
        }
        amocrm.baseURL = section.string("base_url")
        if let base = amocrm.baseURL, URL(string: base)?.scheme?.hasPrefix("http") != true {
            problems.add(section.child("base_url"), "expected an http(s) URL")
        }
        amocrm.clientID = section.string("client_id")
        amocrm.clientSecret = section.string("client_secret")
        amocrm.redirectURI = section.string("redirect_uri")
        amocrm.authCode = section.string("auth_code")
        amocrm.longLivedToken = section.string("long_lived_token")
        amocrm.tokensFile = section.string("tokens_file") ?? amocrm.tokensFile
        amocrm.requestsPerSecond = section.double("requests_per_second", range: 0.1...7) ?? amocrm.requestsPerSecond
        amocrm.timeoutSeconds = section.double("timeout_seconds", range: 1...300) ?? amocrm.timeoutSeconds
        amocrm.arrivalAllowanceMs = section.int("arrival_allowance_ms", range: 0...300_000) ?? amocrm.arrivalAllowanceMs
        amocrm.followReferer = section.bool("follow_referer") ?? amocrm.followReferer
        if var hook = section.object("webhook") { amocrm.webhook = Self.readAmoWebhook(&hook) }
        amocrm.eventsPollMinutes = section.int("events_poll_minutes", range: 0...1440) ?? amocrm.eventsPollMinutes
        if section.values["long_lived_token"]?.nonNull == nil {
            for key in ["client_id", "client_secret", "redirect_uri"] where section.values[key] == nil || section.values[key]!.isNull {
                problems.add(section.child(key), "is required unless long_lived_token is set")
            }
        }
        section.finish()
    }

    private mutating func readContacts(_ section: inout ConfigObject) {
        let problems = section.problems
        if let matchBy = section.strings("match_by") {
            for (index, key) in matchBy.enumerated() where !["phone", "email"].contains(key) {
                problems.add("\(section.child("match_by")).\(index)", "must be phone or email, got \(key)")
            }
            contacts.matchBy = matchBy
        }
        if let code = section.string("default_country_code") {
            if code.isEmpty || code.count > 3 || !code.allSatisfy(\.isASCIIDigit) {
                problems.add(section.child("default_country_code"), "expected 1 to 3 digits, like \"7\"")
            } else {
                contacts.defaultCountryCode = code
            }
        }
        if var enums = section.object("enum_types") {
            if let phone = enums.string("phone") {
                if Config.phoneEnums.contains(phone) {
                    contacts.phoneEnum = phone
                } else {
                    problems.add(enums.child("phone"), "unknown enum code \(phone); one of \(Config.phoneEnums.joined(separator: ", "))")
                }
            }
            if let email = enums.string("email") {
                if Config.emailEnums.contains(email) {
                    contacts.emailEnum = email
                } else {
                    problems.add(enums.child("email"), "unknown enum code \(email); one of \(Config.emailEnums.joined(separator: ", "))")
                }
            }
            enums.finish()
        }
        contacts.readonlyFields = section.strings("readonly_fields") ?? contacts.readonlyFields
        contacts.indexRefreshSeconds = section.double("index_refresh_seconds", range: 0...3600) ?? contacts.indexRefreshSeconds
        contacts.indexSyncRequestsPerSecond =
            section.double("index_sync_requests_per_second", range: 0.1...7) ?? contacts.indexSyncRequestsPerSecond
        section.finish()
    }

    private mutating func readOrders(_ section: inout ConfigObject) {
        let problems = section.problems
        orders.pipelineID = section.int("pipeline_id", range: 1...Int.max)
        orders.statusID = section.int("status_id", range: 1...Int.max)
        let hasPipeline = section.values["pipeline_id"]?.nonNull != nil, hasStatus = section.values["status_id"]?.nonNull != nil
        if hasPipeline != hasStatus {
            problems.add(
                section.child(hasPipeline ? "status_id" : "pipeline_id"),
                "is required with \(hasPipeline ? "pipeline_id" : "status_id") (without both, leads go to the main pipeline)")
        }
        orders.responsibleUserID = section.int("responsible_user_id", range: 1...Int.max)
        orders.leadName = section.string("lead_name") ?? orders.leadName
        if var categories = section.object("categories") {
            for key in categories.values.keys.sorted() {
                let path = categories.child(key)
                guard var rule = categories.object(key) else { continue }
                guard let id = Int(key) else {
                    problems.add(path, "category keys must be category ids (integers)")
                    rule.finish(allowing: Set(rule.values.keys))
                    continue
                }
                let pipeline = rule.int("pipeline_id", required: true, range: 1...Int.max)
                let status = rule.int("status_id", required: true, range: 1...Int.max)
                let responsible = rule.int("responsible_user_id", range: 1...Int.max)
                rule.finish()
                if let pipeline, let status {
                    orders.categories[id] = CategoryRule(pipelineID: pipeline, statusID: status, responsibleUserID: responsible)
                }
            }
            categories.finish()
        }
        orders.categoryResponsibleWins = section.bool("category_responsible_wins") ?? orders.categoryResponsibleWins
        if var statusMap = section.object("status_map") {
            for key in statusMap.values.keys.sorted() {
                if let status = statusMap.int(key, range: 1...Int.max) { orders.statusMap[key] = status }
            }
            statusMap.finish()
        }
        orders.leadFields = section.fieldMap("lead_fields") ?? [:]
        orders.contactFields = section.fieldMap("contact_fields") ?? [:]
        orders.tags = section.strings("tags") ?? []
        orders.note = section.bool("note") ?? orders.note
        if var back = section.object("status_back") { orders.statusBack = Self.readOwnStatusBack(&back) }
        (orders.unsorted, orders.task, orders.rotation) = Self.readSales(&section)
        if var products = section.object("products") { orders.products = Self.readProducts(&products) }
        section.finish()
    }

    private mutating func readSources(_ section: inout ConfigObject) {
        let problems = section.problems
        for name in section.values.keys.sorted() {
            guard var source = section.object(name) else { continue }
            let type = source.string("type", required: true) ?? ""
            let secret = source.string("secret")
            let form = source.string("form")
            var api: ShopAPI?
            if var section = source.object("api") { api = Self.readShopAPI(&section, type: type) }
            var statusBack: [Int: String] = [:]
            if var map = source.object("status_back") { statusBack = Self.readStatusMap(&map, type: type) }
            if !statusBack.isEmpty, api == nil {
                problems.add(source.child("status_back"), "needs \(source.child("api")): statuses are written through the shop's API")
            }
            let reconcileMinutes = source.int("reconcile_minutes", range: 0...1440)
            let lookback = source.int("reconcile_lookback_hours", range: 1...720)
            if api == nil, reconcileMinutes ?? 0 > 0 || lookback != nil {
                problems.add(
                    source.child(reconcileMinutes != nil ? "reconcile_minutes" : "reconcile_lookback_hours"),
                    "needs \(source.child("api")): missed orders are listed through the shop's API")
            }
            source.finish()
            if !type.isEmpty, !Config.sourceTypes.contains(type) {
                problems.add(source.child("type"), "must be one of \(Config.sourceTypes.joined(separator: ", ")), got \(type)")
            }
            if type == "woocommerce" || type == "shopify", secret == nil {
                problems.add(source.child("secret"), "is required for \(type) signatures")
            }
            if type == "tilda", form == nil { problems.add(source.child("form"), "is required for tilda sources") }
            sources[name] = Source(type: type, secret: secret, form: form)
            sources[name]?.api = api
            sources[name]?.statusBack = statusBack
            sources[name]?.reconcileMinutes = reconcileMinutes ?? 10
            sources[name]?.reconcileLookbackHours = lookback ?? 24
        }
        section.finish()
    }

    private static func readCatalog(_ section: inout ConfigObject, key: String) -> [String: [Int]] {
        guard var map = section.object(key) else { return [:] }
        var result: [String: [Int]] = [:]
        for product in map.values.keys.sorted() {
            let path = map.child(product)
            guard case .array(let items)? = map.raw(product) else {
                section.problems.add(path, "expected an array of category ids, nearest first")
                continue
            }
            result[product] = items.enumerated().compactMap { ConfigObject.int($1, path: "\(path).\($0)", problems: section.problems) }
        }
        map.finish()
        return result
    }

    private func readForm(_ section: inout ConfigObject) -> Form {
        var form = Form()
        form.createLead = section.bool("create_lead") ?? form.createLead
        form.pipelineID = section.int("pipeline_id", range: 1...Int.max)
        form.statusID = section.int("status_id", range: 1...Int.max)
        form.responsibleUserID = section.int("responsible_user_id", range: 1...Int.max)
        form.leadName = section.string("lead_name") ?? form.leadName
        if var contact = section.object("contact") {
            form.contactName = contact.string("name") ?? form.contactName
            form.contactPhone = contact.string("phone") ?? form.contactPhone
            form.contactEmail = contact.string("email") ?? form.contactEmail
            contact.finish()
        }
        form.leadFields = section.fieldMap("lead_fields") ?? [:]
        form.contactFields = section.fieldMap("contact_fields") ?? [:]
        form.requiredFields = section.strings("required_fields") ?? []
        form.tags = section.strings("tags") ?? []
        form.note = section.bool("note") ?? form.note
        form.isPublic = section.bool("public") ?? false
        form.redirectURL = section.string("redirect_url")
        form.allowedOrigins = section.strings("allowed_origins") ?? []
        form.honeypot = section.string("honeypot")
        form.perIPPerMinute = section.int("per_ip_per_minute", range: 0...100_000) ?? form.perIPPerMinute
        (form.unsorted, form.task, form.rotation) = Self.readSales(&section)
        if !form.createLead, form.unsorted || form.task != nil || form.rotation != nil {
            let key = form.unsorted ? "unsorted" : form.task != nil ? "task" : "rotation"
            section.problems.add(section.child(key), "needs create_lead: a contact-only form makes no lead")
        }
        if (form.pipelineID == nil) != (form.statusID == nil) {
            section.problems.add(
                section.child(form.pipelineID == nil ? "pipeline_id" : "status_id"),
                "pipeline_id and status_id go together")
        }
        section.finish()
        return form
    }

    /// `127.0.0.1:9464`, `[::1]:9464`, `0.0.0.0:0`.
    static func listener(_ text: String) -> Listener? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            return nil
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        return Listener(host: host, port: port)
    }
}

extension Character {
    package var isASCIIDigit: Bool { isASCII && isNumber }

}
