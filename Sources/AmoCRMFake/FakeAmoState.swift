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
    var nextID = ["field": 1_000_000, "enum": 4_000_000, "contact": 10_000_000, "lead": 20_000_000, "note": 30_000_000]
    let users = [504141, 123453, 581651]
    /// pipeline id → (status id, type) in order; type 1 is the unsorted stage.
    let pipelines: [(id: Int, name: String, statuses: [(id: Int, name: String, type: Int)])] = [
        (
            3177727, "Воронка",
            [
                (32392156, "Неразобранное", 1), (32392159, "Новый заказ", 0), (32392160, "Заявка", 0),
                (32392161, "Оплачен", 0), (32392162, "Отправлен", 0), (142, "Успешно реализовано", 0),
                (143, "Закрыто и не реализовано", 0),
            ]
        ),
        (
            23456, "Опт",
            [(567890, "Новый", 0), (567891, "В работе", 0), (142, "Успешно реализовано", 0), (143, "Закрыто и не реализовано", 0)]
        ),
        (34567, "Техника", [(87654, "Новый", 0), (142, "Успешно реализовано", 0), (143, "Закрыто и не реализовано", 0)]),
    ]
    var clockOffset: Double = 0
    /// The account's "контроль дублей" for API leads: a new complex lead whose contact already
    /// has an open lead is merged into that lead (`merged: true`).
    var duplicateControl = false

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
        if request.path.hasPrefix("/oauth2/") { return oauth(request) }
        let parts = request.path.split(separator: "/").map(String.init)
        guard parts.count >= 3, parts[0] == "api", parts[1] == "v4" else {
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
        let method = request.method
        let rest = Array(parts.dropFirst(2))
        let entity = rest[0]
        let second = rest.count > 1 ? rest[1] : nil
        let third = rest.count > 2 ? rest[2] : nil
        var response: FakeResponse
        switch (method, rest.count) {
        case ("GET", 1) where entity == "account": response = account()
        case ("GET", 1) where entity == "users": response = listUsers()
        case ("GET", 2) where entity == "leads" && second == "pipelines": response = listPipelines()
        case ("GET", 2) where fields[entity] != nil && second == "custom_fields": response = listFields(entity, query: request.query)
        case ("POST", 2) where fields[entity] != nil && second == "custom_fields": response = createFields(entity, body)
        case ("GET", 1) where fields[entity] != nil: response = listEntities(entity, query: request.query)
        case ("GET", 2) where fields[entity] != nil && Int(second!) != nil: response = getEntity(entity, second!)
        case ("POST", 1) where fields[entity] != nil: response = createEntities(entity, body)
        case ("PATCH", 1) where fields[entity] != nil: response = updateEntities(entity, body)
        case ("POST", 2) where entity == "leads" && second == "notes": response = createNotes(body)
        case ("POST", 2) where entity == "leads" && second == "complex": response = createComplex(body)
        case ("GET", 3) where entity == "leads" && third == "notes": response = listNotes(Int(second!) ?? 0)
        default: return .problem(404, title: "Not Found", detail: "Unknown path \(request.path)")
        }
        let endpoint = "\(request.method) \(request.path)"
        if request.method != "GET", response.status < 300, let next = faults.afterApply[endpoint]?.first {
            faults.afterApply[endpoint]!.removeFirst()
            response = afterApply(next, to: response)
        }
        if let padding = faults.oversize.removeValue(forKey: endpoint), case .object(var object)? = try? JSONValue.parse(response.body) {
            object["padding"] = .string(String(repeating: "x", count: padding))
            response.body = JSONValue.object(object).canonicalData
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
            if let list = json.arrayValue {
                response.body = JSONValue.array(list.map(rewrite)).canonicalData
            } else if case .object(var object) = json, case .object(var embedded)? = object["_embedded"] {
                for (key, value) in embedded { embedded[key] = value.arrayValue.map { .array($0.map(rewrite)) } ?? value }
                object["_embedded"] = .object(embedded)
                response.body = JSONValue.object(object).canonicalData
            }
        }
        return response
    }

    private func account() -> FakeResponse {
        .json(
            200,
            [
                "id": 1231414, "name": .string(subdomain), "subdomain": .string(subdomain), "current_user_id": 504141,
                "country": "RU", "currency": "RUB", "is_unsorted_on": true,
            ])
    }

    private func listUsers() -> FakeResponse {
        .json(200, ["_embedded": ["users": .array(users.map { ["id": .number(JSONNumber($0)), "name": .string("User \($0)")] })]])
    }

    private func listPipelines() -> FakeResponse {
        let list: [JSONValue] = pipelines.map { pipeline in
            [
                "id": .number(JSONNumber(pipeline.id)), "name": .string(pipeline.name), "is_main": .bool(pipeline.id == pipelines[0].id),
                "_embedded": [
                    "statuses": .array(
                        pipeline.statuses.map {
                            [
                                "id": .number(JSONNumber($0.id)), "name": .string($0.name), "type": .number(JSONNumber($0.type)),
                                "pipeline_id": .number(JSONNumber(pipeline.id)), "is_editable": .bool($0.type == 0 && $0.id > 143),
                            ]
                        })
                ],
            ]
        }
        return .json(200, ["_total_items": .number(JSONNumber(list.count)), "_embedded": ["pipelines": .array(list)]])
    }

    /// Custom field lists come 50 a page whatever `limit` asks, as amoCRM sends them.
    private func listFields(_ entity: String, query: [String: String]) -> FakeResponse {
        let limit = min(50, Int(query["limit"] ?? "") ?? 50)
        let page = max(1, Int(query["page"] ?? "") ?? 1)
        let all = fields[entity] ?? []
        let slice = all.dropFirst((page - 1) * limit).prefix(limit)
        if slice.isEmpty { return FakeResponse(status: 204) }
        var links: [String: JSONValue] = ["self": ["href": .string("/api/v4/\(entity)/custom_fields?page=\(page)&limit=\(limit)")]]
        if page * limit < all.count {
            links["next"] = ["href": .string("/api/v4/\(entity)/custom_fields?page=\(page + 1)&limit=\(limit)")]
        }
        return .json(
            200,
            [
                "_total_items": .number(JSONNumber(all.count)), "_page": .number(JSONNumber(page)),
                "_page_count": .number(JSONNumber((all.count + limit - 1) / limit)), "_links": .object(links),
                "_embedded": ["custom_fields": .array(slice.map(\.json))],
            ])
    }

    private func createFields(_ entity: String, _ body: JSONValue?) -> FakeResponse {
        guard let items = body?.arrayValue else { return .problem(400, title: "Bad Request", detail: "expected an array") }
        var errors: [JSONValue] = []
        for (index, item) in items.enumerated() {
            let requestID = item["request_id"]?.textValue ?? "\(index)"
            let type = item["type"]?.stringValue ?? ""
            if item["name"]?.stringValue?.isEmpty ?? true {
                errors.append([
                    "request_id": .string(requestID),
                    "errors": [["code": "FieldMissing", "path": "name", "detail": "This field is missing."]],
                ])
            }
            let allowed =
                ["text", "numeric", "checkbox", "select", "multiselect", "date", "url", "textarea", "radiobutton", "date_time"]
                + (entity == "contacts" ? ["multitext"] : [])
            if !allowed.contains(type) {
                errors.append([
                    "request_id": .string(requestID),
                    "errors": [["code": "NotSupportedChoice", "path": "type", "detail": "The value you selected is not a valid choice."]],
                ])
            }
        }
        if !errors.isEmpty { return validationFailure(errors) }
        var created: [JSONValue] = []
        for (index, item) in items.enumerated() {
            let enums = (item["enums"]?.arrayValue ?? []).compactMap { $0["value"]?.textValue }.map { (allocate("enum"), $0) }
            let field = FakeField(
                id: allocate("field"), name: item["name"]!.stringValue!, type: item["type"]!.stringValue!,
                code: item["code"]?.stringValue, enums: enums)
            fields[entity]!.append(field)
            var json = field.json.objectValue!
            json["request_id"] = .string(item["request_id"]?.textValue ?? "\(index)")
            created.append(.object(json))
        }
        return .json(200, ["_total_items": .number(JSONNumber(created.count)), "_embedded": ["custom_fields": .array(created)]])
    }

    func validationFailure(_ errors: [JSONValue]) -> FakeResponse {
        .problem(400, title: "Bad Request", detail: "Request validation failed", extra: ["validation-errors": .array(errors)])
    }
}
