import AmoAPI
import Foundation
import AmoSyncCore

/// The fake amoCRM account: entities, custom fields, tokens, the rate limit and injected
/// faults. `handle` answers like API v4 does (README, "The fake amoCRM").
package actor FakeAmoState {
    package struct Options: Sendable {
        var subdomain = "example"
        package var requestsPerSecond = 7
        package var longLivedTokens: [String] = []
        var oauthClient: FakeOAuthClient?
        /// Lifetime of issued access tokens.
        var accessTTL: Double = 86_400
        package var faults = FakeFaults()
        package init() {}
    }

    let subdomain: String
    let requestsPerSecond: Int
    var validTokens: Set<String>
    let oauthClient: FakeOAuthClient?
    var accessTTL: Double
    var codes: [String: Double] = [:]
    var refreshTokens: Set<String> = []
    var accessTokens: [String: Double] = [:]
    var refreshCount = 0
    var exchangeCount = 0
    var revokedAttempts = 0
    var faults: FakeFaults
    var arrivals: [Double] = []
    var log: [FakeLogEntry] = []
    var fields: [String: [FakeField]] = ["leads": [], "contacts": []]
    var contacts = FakeTable()
    var leads = FakeTable()
    var notes: [Int: FakeNote] = [:]
    var nextID = [
        "field": 1_000_000, "enum": 4_000_000, "contact": 10_000_000, "lead": 20_000_000, "note": 30_000_000, "webhook": 1,
        "event": 60_466_176, "task": 40_000_000, "element": 50_000_000,
    ]
    /// 600601 left the company: `rights.is_active` false.
    let users = [504141, 123453, 581651, 600601]
    var inactiveUsers: Set<Int> = [600601]
    /// Incoming leads, tasks, lists and their elements, links.
    var sales = FakeSales()
    /// pipeline id → (status id, type) in order; type 1 is the unsorted stage.
    let pipelines: [(id: Int, name: String, statuses: [(id: Int, name: String, type: Int)])] = [
        (
            3177727, "Воронка",
            [
                (32392156, "Неразобранное", 1), (32392159, "Новый заказ", 0), (32392160, "Заявка", 0),
                (32392161, "Оплачен", 0), (32392162, "Отправлен", 0), (Status.won, "Успешно реализовано", 0),
                (Status.lost, "Закрыто и не реализовано", 0),
            ]
        ),
        (
            23456, "Опт",
            [
                (567890, "Новый", 0), (567891, "В работе", 0), (Status.won, "Успешно реализовано", 0),
                (Status.lost, "Закрыто и не реализовано", 0),
            ]
        ),
        (34567, "Техника", [(87654, "Новый", 0), (Status.won, "Успешно реализовано", 0), (Status.lost, "Закрыто и не реализовано", 0)]),
    ]
    var clockOffset: Double = 0
    /// The account's "контроль дублей" for API leads: a new complex lead whose contact already
    /// has an open lead is merged into that lead (`merged: true`).
    var duplicateControl = false
    /// Subscribed webhooks, the event log, and what the webhooks' deliveries did.
    var webhooks: [Webhook] = []
    var events: [Event] = []
    var hookDeliveries = FakeHookDeliveries()

    package init(options: Options = Options()) {
        subdomain = options.subdomain
        requestsPerSecond = options.requestsPerSecond
        validTokens = Set(options.longLivedTokens)
        oauthClient = options.oauthClient
        accessTTL = options.accessTTL
        faults = options.faults
        fields["contacts"] = [
            FakeField(
                id: 3, name: "Телефон", type: "multitext", code: "PHONE",
                enums: ["WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER"].enumerated().map { (1 + $0, $1) }, isPredefined: true),
            FakeField(
                id: 5, name: "Email", type: "multitext", code: "EMAIL",
                enums: ["WORK", "PRIV", "OTHER"].enumerated().map { (11 + $0, $1) }, isPredefined: true),
            FakeField(id: 7, name: "Должность", type: "text", code: "POSITION", enums: [], isPredefined: true),
        ]
        fields["leads"] =
            ["UTM_SOURCE", "UTM_MEDIUM", "UTM_CAMPAIGN", "UTM_CONTENT", "UTM_TERM", "GCLID", "YCLID"].enumerated().map {
                FakeField(id: 100 + $0, name: $1.lowercased(), type: "tracking_data", code: $1, enums: [], isPredefined: true)
            } + [FakeField(id: 120, name: "Способ доставки", type: "select", code: nil, enums: [(201, "Courier"), (202, "Pickup")])]
    }

    var now: Double { Date().timeIntervalSince1970 + clockOffset }

    func allocate(_ kind: String) -> Int {
        let id = nextID[kind]!
        nextID[kind] = id + 1
        return id
    }

    /// Adds a token the fake accepts (long-lived tokens, tokens issued by tests).
    func addToken(_ token: String) { validTokens.insert(token) }

    func setFaults(_ faults: FakeFaults) { self.faults = faults }

    /// Answers one request.
    func handle(_ request: FakeRequest) -> FakeResponse {
        if request.path.hasPrefix("/__fake") { return control(request) }
        let arrived = request.arrivedAt.map { $0 + clockOffset } ?? now
        let response = admit(request, at: arrived) ?? route(request)
        log.append(FakeLogEntry(at: arrived, method: request.method, path: request.path, status: response.status, query: request.query))
        if log.count > 200_000 { log.removeFirst(50_000) }
        return response
    }

    /// Rate limit, injected faults and authorization; nil means "go on".
    private func admit(_ request: FakeRequest, at time: Double) -> FakeResponse? {
        // Requests may be handled slightly out of their arrival order: keep the arrivals sorted.
        arrivals.insert(time, at: arrivals.lastIndex { $0 <= time }.map { $0 + 1 } ?? 0)
        while let first = arrivals.first, arrivals.last! - first >= 1 { arrivals.removeFirst() }
        if arrivals.count(where: { $0 > time - 1 && $0 <= time }) > requestsPerSecond { return .html(429, "Too Many Requests") }
        if let until = faults.outageUntil, Date() < until {
            return .problem(503, title: "Service Unavailable", detail: "outage")
        }
        let endpoint = "\(request.method) \(request.path)"
        if let index = faults.failNext.firstIndex(where: { $0.endpoint == nil || $0.endpoint == endpoint }) {
            let status = faults.failNext[index].status
            faults.failNext[index].count -= 1
            if faults.failNext[index].count <= 0 { faults.failNext.remove(at: index) }
            return Self.failure(status)
        }
        if faults.failRate > 0, Double.random(in: 0..<1) < faults.failRate {
            return .problem(503, title: "Service Unavailable", detail: "An unknown error occurred.")
        }
        if request.path.hasPrefix("/oauth2/") { return nil }
        // amoCRM's front end refuses a request line longer than about 8 KB.
        if request.target.utf8.count > 8000 { return .html(414, "Request-URI Too Large") }
        let auth = request.header("Authorization") ?? ""
        guard auth.hasPrefix("Bearer "), isValidAccessToken(String(auth.dropFirst(7))) else {
            return .problem(401, title: "Unauthorized", detail: "Неверный логин или пароль")
        }
        return nil
    }

    private func route(_ request: FakeRequest) -> FakeResponse {
        if request.path == AmoPath.accessToken { return oauth(request) }
        guard let route = Route(method: request.method, path: request.path) else {
            return .problem(404, title: "Not Found", detail: "Unknown path \(request.path)")
        }
        let body: JSONValue?
        if request.body.isEmpty {
            body = nil
        } else {
            guard let parsed = try? JSONValue.parse(request.body) else {
                return .problem(400, title: "Bad Request", detail: "Request body is not valid JSON")
            }
            body = parsed
        }
        if let needle = faults.refuseWhole["\(request.method) \(request.path)"],
            String(decoding: request.body, as: UTF8.self).contains(needle)
        {
            return .problem(400, title: "Bad Request", detail: "Request validation failed")
        }
        var response: FakeResponse
        switch route {
        case .account: response = account(request.query)
        case .users: response = listUsers()
        case .pipelines: response = .encoded(200, Page(items: pipelineModels))
        case .customFields(let entity): response = listFields(entity.rawValue, query: request.query)
        case .createCustomFields(let entity): response = createFields(entity.rawValue, body)
        case .list(let entity) where fields[entity.rawValue] != nil: response = listEntities(entity.rawValue, query: request.query)
        case .get(let entity, let id) where fields[entity.rawValue] != nil: response = getEntity(entity.rawValue, id)
        case .create(let entity) where fields[entity.rawValue] != nil: response = createEntities(entity.rawValue, body)
        case .update(let entity) where fields[entity.rawValue] != nil: response = updateEntities(entity.rawValue, body)
        case .createNotes: response = createNotes(body)
        case .complex: response = createComplex(body)
        case .notes(let lead): response = listNotes(lead, query: request.query)
        case .webhooks: response = listWebhooks()
        case .createWebhook: response = createWebhook(body)
        case .deleteWebhook: response = deleteWebhook(body)
        case .events: response = listEvents(query: request.query)
        case .createUnsortedForms: response = createIncoming(body)
        case .unsorted: response = listIncoming(query: request.query)
        case .acceptUnsorted(let uid): response = acceptIncoming(uid, body)
        case .declineUnsorted(let uid): response = declineIncoming(uid)
        case .createTasks: response = createTasks(body)
        case .tasks: response = listTasks(query: request.query)
        case .catalogs, .catalogFields, .catalogElements, .createCatalogElements:
            response = catalogRequest(route, body: body, query: request.query)
        case .linkLeads: response = link(body, unlink: false)
        case .unlinkLeads: response = link(body, unlink: true)
        default: return .problem(404, title: "Not Found", detail: "Unknown path \(request.path)")
        }
        let endpoint = "\(request.method) \(request.path)"
        if request.method != "GET", response.status < 300, let next = faults.afterApply[endpoint]?.first {
            faults.afterApply[endpoint]!.removeFirst()
            response = afterApply(next, to: response)
        }
        if let padding = faults.oversize.removeValue(forKey: endpoint) {
            // An object gets a padding key; an array (`leads/complex`) one more element.
            let filler = JSONValue.string(String(repeating: "x", count: padding))
            switch try? JSONValue.parse(response.body) {
            case .object(var object)?:
                object["padding"] = filler
                response.body = JSONValue.object(object).canonicalData
            case .array(let items)?:
                response.body = JSONValue.array(items + [["padding": filler]]).canonicalData
            default: break
            }
        }
        return response
    }

    /// An answer as a failing front end or upstream gives it.
    static func failure(_ status: Int) -> FakeResponse {
        switch status {
        case 429: return .html(429, "Too Many Requests")
        case 403: return .html(403, "Forbidden")
        case 401: return .problem(401, title: "Unauthorized", detail: "Неверный логин или пароль")
        case 402: return .problem(402, title: "Payment Required", detail: "Аккаунт не оплачен")
        case 404: return .problem(404, title: "Not Found", detail: "Not Found")
        case 400: return .problem(400, title: "Bad Request", detail: "Код ошибки 244")
        case 300..<400:
            var response = FakeResponse.html(status, "Moved Temporarily")
            response.location = "https://www.amocrm.ru/login"
            return response
        default: return .problem(status, title: "Service Unavailable", detail: "An unknown error occurred.")
        }
    }

    /// The write took effect; the answer then goes wrong as `fault` says.
    func afterApply(_ fault: FakeFaults.AfterApply, to response: FakeResponse) -> FakeResponse {
        var response = response
        switch fault {
        case .status(let status): return Self.failure(status)
        case .garbage:
            response.body = Data("<html><body>Internal error</body></html>".utf8)
        case .drop:
            response.dropConnection = true
        case .hostile(let kind):
            guard let json = try? JSONValue.parse(response.body) else { return response }
            let firstLead = leads.values.map(\.id).min() ?? 1
            var firstID: JSONValue?
            func rewrite(_ item: JSONValue) -> JSONValue {
                guard case .object(var object) = item, let id = object["id"] else { return item }
                firstID = firstID ?? id
                switch kind {
                case "negative": object["id"] = -1
                case "zero": object["id"] = 0
                case "duplicate": object["id"] = firstID
                default: object["id"] = .number(JSONNumber(firstLead))
                }
                return .object(object)
            }
            // The answer's items (a bare array, or the list in a HAL answer) get the hostile ids.
            func walk(_ value: JSONValue) -> JSONValue {
                switch value {
                case .array(let list): return .array(list.map { rewrite(walk($0)) })
                case .object(let object): return .object(object.mapValues(walk))
                default: return value
                }
            }
            response.body = walk(json).canonicalData
        }
        return response
    }

    private func account(_ query: [String: String]) -> FakeResponse {
        var account = Account(
            id: 1_231_414, name: subdomain, subdomain: subdomain, currentUserID: users[0], country: "RU", currency: "RUB",
            isUnsortedOn: true)
        if query["with"]?.split(separator: ",").contains("task_types") == true {
            account.embedded = Account.Embedded(taskTypes: sales.taskTypes.map { TaskType(id: $0.id, name: $0.name, code: $0.code) })
        }
        return .encoded(200, account)
    }

    /// The account's pipelines with their stages, as `GET /api/v4/leads/pipelines` answers.
    var pipelineModels: [Pipeline] {
        pipelines.map { pipeline in
            Pipeline(
                id: pipeline.id, name: pipeline.name, isMain: pipeline.id == pipelines[0].id,
                statuses: pipeline.statuses.map {
                    Status(
                        id: $0.id, name: $0.name, pipelineID: pipeline.id, type: $0.type,
                        isEditable: $0.type == 0 && !Status.isClosed($0.id))
                })
        }
    }

    /// Custom field lists come 50 a page whatever `limit` asks, as amoCRM sends them.
    private func listFields(_ entity: String, query: [String: String]) -> FakeResponse {
        let limit = min(Endpoints.fieldPageLimit, Int(query["limit"] ?? "") ?? Endpoints.fieldPageLimit)
        let page = max(1, Int(query["page"] ?? "") ?? 1)
        let all = fields[entity] ?? []
        let slice = all.dropFirst((page - 1) * limit).prefix(limit)
        if slice.isEmpty { return FakeResponse(status: 204) }
        return .encoded(200, Page(items: slice.map(\.model), page: page, hasNext: page * limit < all.count))
    }

    private func createFields(_ entity: String, _ body: JSONValue?) -> FakeResponse {
        guard let items = body?.arrayValue else { return .problem(400, title: "Bad Request", detail: "expected an array") }
        var errors: [ValidationErrors] = []
        for (index, item) in items.enumerated() {
            let requestID = item["request_id"]?.textValue ?? "\(index)"
            let type = item["type"]?.stringValue ?? ""
            if item["name"]?.stringValue?.isEmpty ?? true {
                errors.append(
                    ValidationErrors(requestID: requestID, errors: [Self.problem("FieldMissing", "name", "This field is missing.")]))
            }
            let allowed =
                ["text", "numeric", "checkbox", "select", "multiselect", "date", "url", "textarea", "radiobutton", "date_time"]
                + (entity == "contacts" ? ["multitext"] : [])
            if !allowed.contains(type) {
                errors.append(ValidationErrors(requestID: requestID, errors: [Self.problem("NotSupportedChoice", "type")]))
            }
        }
        if !errors.isEmpty { return validationFailure(errors) }
        var created: [CustomField] = []
        for (index, item) in items.enumerated() {
            let enums = (item["enums"]?.arrayValue ?? []).compactMap { $0["value"]?.textValue }.map { (allocate("enum"), $0) }
            let field = FakeField(
                id: allocate("field"), name: item["name"]!.stringValue!, type: item["type"]!.stringValue!,
                code: item["code"]?.stringValue, enums: enums, isAPIOnly: item["is_api_only"]?.boolValue ?? false)
            fields[entity]!.append(field)
            var model = field.model
            model.requestID = item["request_id"]?.textValue ?? "\(index)"
            created.append(model)
        }
        return .encoded(200, Page(items: created))
    }

    func validationFailure(_ errors: [ValidationErrors]) -> FakeResponse {
        .encoded(
            400, Problem(status: 400, title: "Bad Request", detail: "Request validation failed", validationErrors: errors),
            contentType: "application/problem+json")
    }
}
