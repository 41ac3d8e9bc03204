import AmoAPI
import Foundation
import AmoSyncCore

extension FakeAmoState {
    /// Request figures for assertions and benchmarks.
    package struct RequestStats: Sendable, Equatable {
        package var total: Int
        package var throttled: Int
        /// The most requests that arrived in any 1-second window.
        package var maxPerSecond: Int
        /// The most requests that arrived in any 10-second window, divided by 10: the sustained rate.
        package var busiest10sPerSecond: Double
        package var byEndpoint: [String: Int]

        /// Read back from `snapshot()["requests"]`.
        init?(json: JSONValue) {
            guard let total = json["total"]?.intValue, let throttled = json["throttled"]?.intValue,
                let maxPerSecond = json["max_per_second"]?.intValue, let busiest = json["busiest_10s_per_second"]?.doubleValue
            else { return nil }
            self.init(
                total: total, throttled: throttled, maxPerSecond: maxPerSecond, busiest10sPerSecond: busiest,
                byEndpoint: (json["by_endpoint"]?.objectValue ?? [:]).compactMapValues(\.intValue))
        }

        init(total: Int, throttled: Int, maxPerSecond: Int, busiest10sPerSecond: Double, byEndpoint: [String: Int]) {
            self.total = total
            self.throttled = throttled
            self.maxPerSecond = maxPerSecond
            self.busiest10sPerSecond = busiest10sPerSecond
            self.byEndpoint = byEndpoint
        }
    }

    func requestStats() -> RequestStats {
        var byEndpoint: [String: Int] = [:]
        for entry in log { byEndpoint["\(entry.method) \(AmoPath.template(entry.path))", default: 0] += 1 }
        return RequestStats(
            total: log.count, throttled: log.filter { $0.status == 429 }.count, maxPerSecond: mostArrivals(within: 1),
            busiest10sPerSecond: Double(mostArrivals(within: 10)) / 10, byEndpoint: byEndpoint)
    }

    private func mostArrivals(within seconds: Double) -> Int {
        let times = log.map(\.at).sorted()
        var most = 0
        var start = 0
        for end in times.indices {
            while times[end] - times[start] >= seconds { start += 1 }
            most = max(most, end - start + 1)
        }
        return most
    }

    /// A contact created by "a manager" (not through the API log).
    @discardableResult
    package func seedContact(name: String, phones: [String] = [], emails: [String] = [], updatedAgo: Double = 0) -> Int {
        let time = Int(now - updatedAgo)
        var contact = FakeEntity(id: allocate("contact"), name: name, responsibleUserID: users[0], createdAt: time, updatedAt: time)
        if !phones.isEmpty { contact.fields.append(FakeFieldValues(fieldID: 3, values: phones.map { (.string($0), "WORK") })) }
        if !emails.isEmpty { contact.fields.append(FakeFieldValues(fieldID: 5, values: emails.map { (.string($0), "WORK") })) }
        contacts[contact.id] = contact
        return contact.id
    }

    /// A big account in one call: `count` contacts "Customer i" with `phone(i)` and
    /// `email(i)`, their `updated_at` spread evenly over the last `span` seconds in id order
    /// (contact i is the i-th oldest).
    package func seedContacts(count: Int, span: Double, phone: (Int) -> String, email: (Int) -> String) {
        let start = now - span
        for index in 0..<count {
            let time = Int(start + span * Double(index) / Double(max(1, count)))
            var contact = FakeEntity(
                id: allocate("contact"), name: "Customer \(index)", responsibleUserID: users[0], createdAt: time, updatedAt: time)
            contact.fields = [
                FakeFieldValues(fieldID: 3, values: [(.string(phone(index)), "WORK")]),
                FakeFieldValues(fieldID: 5, values: [(.string(email(index)), "WORK")]),
            ]
            contacts[contact.id] = contact
        }
    }

    /// Counts without the entities (`GET /__fake/summary`): what a benchmark of a big account
    /// checks, including phones that more than one contact holds (duplicates).
    func summary() -> JSONValue {
        var holders: [String: Int] = [:]
        for contact in contacts.values {
            for field in contact.fields where field.fieldID == 3 {
                for value in field.values {
                    guard let digits = value.value.textValue?.filter(\.isASCIIDigit), !digits.isEmpty else { continue }
                    holders[String(digits.suffix(10)), default: 0] += 1
                }
            }
        }
        return [
            "contacts": .number(JSONNumber(contacts.count)), "leads": .number(JSONNumber(leads.count)),
            "notes": .number(JSONNumber(notes.count)),
            "phones_on_several_contacts": .number(JSONNumber(holders.values.filter { $0 > 1 }.count)),
            "tasks": .number(JSONNumber(sales.tasks.count)), "incoming": .number(JSONNumber(sales.incoming.count)),
            "elements": .number(JSONNumber(sales.elements.count)),
            "links": .number(JSONNumber(sales.links.values.reduce(0) { $0 + $1.count })),
            "tasks_on_same_lead": .number(JSONNumber(sales.tasks.count - Set(sales.tasks.values.map(\.entityID)).count)),
            "requests": snapshotRequests(),
        ]
    }

    /// Switches the account's duplicate control on or off.
    package func setDuplicateControl(_ on: Bool) { duplicateControl = on }

    /// A custom field created in the account's settings.
    @discardableResult
    package func seedField(_ entity: String, name: String, type: String = "text") -> Int {
        let id = allocate("field")
        fields[entity, default: []].append(FakeField(id: id, name: name, type: type, code: nil, enums: []))
        return id
    }

    /// A manager adds a phone to a contact in amoCRM's interface.
    package func addPhone(_ phone: String, to id: Int) {
        guard var contact = contacts[id] else { return }
        if let index = contact.fields.firstIndex(where: { $0.fieldID == 3 }) {
            contact.fields[index].values.append((.string(phone), "MOB"))
        } else {
            contact.fields.append(FakeFieldValues(fieldID: 3, values: [(.string(phone), "MOB")]))
        }
        contact.updatedAt = Int(now)
        contacts[id] = contact
    }

    /// A manager deletes a contact.
    func deleteContact(_ id: Int) { contacts[id] = nil }

    /// Everything the account holds, as `GET /__fake/state` returns it.
    func snapshot() -> JSONValue {
        let entities: [String: JSONValue] = [
            "contacts": .array(contacts.values.sorted { $0.id < $1.id }.map { render($0, entity: "contacts") }),
            "leads": .array(leads.values.sorted { $0.id < $1.id }.map { render($0, entity: "leads") }),
            "notes": .array(notes.values.sorted { $0.id < $1.id }.map { (try? AmoJSON.value($0.model)) ?? .null }),
            "custom_fields": [
                "leads": .array((fields["leads"] ?? []).map(\.json)), "contacts": .array((fields["contacts"] ?? []).map(\.json)),
            ],
            "requests": snapshotRequests(),
        ]
        return .object(entities.merging(salesSnapshot) { $1 })
    }

    private func snapshotRequests() -> JSONValue {
        let stats = requestStats()
        return [
            "total": .number(JSONNumber(stats.total)), "throttled": .number(JSONNumber(stats.throttled)),
            "max_per_second": .number(JSONNumber(stats.maxPerSecond)),
            "busiest_10s_per_second": .number(JSONNumber(stats.busiest10sPerSecond)),
            "by_endpoint": .object(stats.byEndpoint.mapValues { .number(JSONNumber($0)) }),
            "log": .array(
                log.suffix(1000).map {
                    [
                        "at": .number(JSONNumber($0.at)), "method": .string($0.method), "path": .string($0.path),
                        "status": .number(JSONNumber($0.status)), "query": .object($0.query.mapValues(JSONValue.string)),
                    ]
                }),
        ]
    }

    /// `/__fake/state`, `/__fake/summary`, `/__fake/faults`, `/__fake/contacts`: test and benchmark control.
    func control(_ request: FakeRequest) -> FakeResponse {
        let body = request.body.isEmpty ? nil : try? JSONValue.parse(request.body)
        if let answer = salesControl(request, body: body) { return answer }
        switch (request.method, request.path) {
        case ("GET", "/__fake/state"):
            return .json(200, snapshot(), contentType: "application/json")
        case ("GET", "/__fake/summary"):
            return .json(200, summary(), contentType: "application/json")
        case ("POST", "/__fake/faults"):
            var faults = FakeFaults()
            if let fail = body?["fail_next"] {
                faults.failNext = [
                    .init(
                        count: fail["count"]?.intValue ?? 1, status: fail["status"]?.intValue ?? 503,
                        endpoint: fail["endpoint"]?.stringValue)
                ]
            }
            faults.latencyMs = body?["latency_ms"]?.intValue ?? 0
            faults.failRate = body?["fail_rate"]?.doubleValue ?? 0
            for (endpoint, count) in body?["drop_after_apply"]?.objectValue ?? [:] {
                faults.afterApply[endpoint, default: []] += Array(repeating: .drop, count: count.intValue ?? 1)
            }
            // {"POST /api/v4/leads/complex": [504, "garbage", "drop", "hostile:duplicate"]}
            for (endpoint, list) in body?["after_apply"]?.objectValue ?? [:] {
                faults.afterApply[endpoint, default: []] += (list.arrayValue ?? []).compactMap { entry in
                    if let status = entry.intValue { return .status(status) }
                    switch entry.stringValue {
                    case "garbage": return .garbage
                    case "drop": return .drop
                    case let text? where text.hasPrefix("hostile:"): return .hostile(String(text.dropFirst(8)))
                    default: return nil
                    }
                }
            }
            for (endpoint, bytes) in body?["oversize"]?.objectValue ?? [:] { faults.oversize[endpoint] = bytes.intValue ?? 0 }
            for (endpoint, needle) in body?["refuse_whole"]?.objectValue ?? [:] { faults.refuseWhole[endpoint] = needle.stringValue }
            if let seconds = body?["outage_seconds"]?.doubleValue { faults.outageUntil = Date().addingTimeInterval(seconds) }
            self.faults = faults
            return .json(200, ["ok": true], contentType: "application/json")
        case ("POST", let path) where path.hasPrefix("/__fake/leads/") && path.hasSuffix("/move"):
            // A manager drags a lead to another stage.
            let id = Int(path.dropFirst("/__fake/leads/".count).dropLast("/move".count)) ?? 0
            guard let status = body?["status_id"]?.intValue, move(lead: id, to: status, pipeline: body?["pipeline_id"]?.intValue) else {
                return .problem(400, title: "Bad Request", detail: "no lead \(id), or status_id is not a stage of its pipeline")
            }
            return .json(200, ["ok": true], contentType: "application/json")
        case ("POST", "/__fake/webhooks/drop"):
            hookDeliveries.dropNext += body?["count"]?.intValue ?? 1
            return .json(200, ["ok": true], contentType: "application/json")
        case ("GET", "/__fake/thanks"):
            return FakeResponse(
                status: 200, contentType: "text/html; charset=utf-8",
                body: Data("<!doctype html><title>Thanks</title><h1>Thank you, we received your request</h1>".utf8))
        case ("POST", "/__fake/oauth/code"):
            return .json(200, ["code": .string(issueCode())], contentType: "application/json")
        case ("POST", "/__fake/oauth/revoke"):
            revokeAll()
            return .json(200, ["ok": true], contentType: "application/json")
        case ("POST", "/__fake/contacts"):
            let id = seedContact(
                name: body?["name"]?.textValue ?? "Contact",
                phones: body?["phones"]?.arrayValue?.compactMap(\.textValue) ?? [],
                emails: body?["emails"]?.arrayValue?.compactMap(\.textValue) ?? [])
            return .json(200, ["id": .number(JSONNumber(id))], contentType: "application/json")
        default:
            return .problem(404, title: "Not Found", detail: "unknown control path \(request.path)")
        }
    }
}
