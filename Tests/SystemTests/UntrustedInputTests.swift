import Foundation
import GRDB
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import AmoSyncCLI
@testable import TestSupport
@testable import TestFixtures

/// Every reproducer of the fuzz run: nothing traps, nothing poisons the queue, no two orders
/// merge, no log line is forged, and transport errors are the client's (4xx), not ours.
@Suite struct UntrustedInputTests {
    static let mapper = Mapper(config: try! Config.parse(testConfig(fake: StaticFake(), dir: TempDir()).canonicalData, environment: [:]))

    static func order(_ extra: [String: JSONValue]) -> JSONValue {
        var order: [String: JSONValue] = ["id": "p", "customer": ["phone": "+79125550199"], "items": []]
        order.merge(extra) { $1 }
        return .object(order)
    }

    /// Each of these trapped in `Mapper.price` (SIGILL); now a 422 naming the field.
    static let moneyCases: [(String, JSONValue, String)] = [
        ("total", JSONValue.number(JSONNumber(verbatim: "1e19")), "total"), ("total", .number(JSONNumber(verbatim: "-1e19")), "total"),
        ("total", .number(JSONNumber(verbatim: "9.3e18")), "total"), ("total", "1e19", "total"), ("total", "nan", "total"),
        ("total", "inf", "total"), ("total", .number(JSONNumber(verbatim: "-9223372036854775808")), "total"),
        ("total", .number(JSONNumber(verbatim: "1e400")), "total"),
        ("items", [["name": "x", "price": .number(JSONNumber(verbatim: "1e308"))]], "items.0.price"),
        ("items", [["name": "x", "price": 5, "quantity": "1e400"]], "items.0.quantity"),
        ("delivery", ["cost": .number(JSONNumber(verbatim: "1e19"))], "delivery.cost"),
    ]

    @Test(arguments: moneyCases)
    func outOfRangeMoneyIsAProblemNamingTheField(key: String, value: JSONValue, path: String) {
        var extra: [String: JSONValue] = ["total": 1]
        extra[key] = value
        #expect(throws: MappingError.self) { try Self.mapper.mapOrder(Self.order(extra)) }
        do { _ = try Self.mapper.mapOrder(Self.order(extra)) } catch {
            #expect(error.details.contains { $0.path == path }, "\(error.details)")
        }
    }

    @Test func moneyIsExactAndPricesAreRounded() throws {
        let items: JSONValue = [
            ["name": "a", "price": "0.1", "quantity": 3], ["name": "b", "price": .number(JSONNumber(verbatim: "19.995")), "quantity": 1],
        ]
        let plan = try Self.mapper.mapOrder(Self.order(["items": items])).plan
        #expect(plan.lead?.price == 20)  // 0.3 + 19.995 = 20.295, exactly; a double sum would be 20.294999…
        #expect(plan.note?.contains("a 0.1 × 3 = 0.3") == true)
    }

    @Test func bigIDsStayDistinctAndExact() throws {
        let first = try JSONValue.parse(Data(#"{"id":123456789012345678,"customer":{"phone":"+79125550199"},"total":1}"#.utf8))
        let second = try JSONValue.parse(Data(#"{"id":123456789012345679,"customer":{"phone":"+79125550199"},"total":1}"#.utf8))
        #expect(try Self.mapper.mapOrder(first).externalID == "123456789012345678")
        #expect(try Self.mapper.mapOrder(second).externalID == "123456789012345679")
        let round = try JSONValue.parse(Data(#"{"id":1000000000000000}"#.utf8))
        #expect(round["id"]?.textValue == "1000000000000000")
        #expect(round.canonicalString == #"{"id":1000000000000000}"#)
        // A number id and a string id are the same id.
        let asString = try JSONValue.parse(Data(#"{"id":"123456789012345678","customer":{"phone":"+79125550199"},"total":1}"#.utf8))
        #expect(try Self.mapper.mapOrder(asString).externalID == "123456789012345678")
    }

    @Test func twoOrdersWithNeighbouringBigIDsAreTwoJobs() async throws {
        let daemon = try await RunningDaemon.start(fake: StaticFake())
        for id in ["123456789012345678", "123456789012345679"] {
            let body = Data(#"{"id":\#(id),"customer":{"phone":"+79125550199"},"items":[{"name":"Kettle","price":1}]}"#.utf8)
            #expect(try await daemon.send("/v1/orders", body: body, contentType: "application/json").status == 202)
        }
        await #expect(Set(try daemon.store.list(JobFilter()).map(\.externalID)) == ["123456789012345678", "123456789012345679"])
        await daemon.stop()
    }

    @Test(arguments: [("[1.]", 2), ("[2.e-3]", 2), ("[01]", 1), ("[-]", 1), ("[+1]", 1), ("[.5]", 1), ("[1e]", 1), ("[1e+]", 1)])
    func numbersFollowRFC8259(text: String, offset: Int) async {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Data(text.utf8)) }
        do { _ = try JSONValue.parse(Data(text.utf8)) } catch let error as JSONParseError { #expect(error.offset == 1) } catch {}
    }

    @Test func invalidUTF8AndDuplicateKeysAreRefusedWithTheirPlace() async {
        for (bytes, offset) in [
            ([0x22, 0x61, 0xFF, 0x22] as [UInt8], 2), ([0x22, 0xC0, 0xAF, 0x22], 1), ([0x22, 0xED, 0xA0, 0x80, 0x22], 1),
            ([0x5B, 0x22, 0x61, 0xE2, 0x82, 0x22, 0x5D], 3), ([0x22, 0x5C, 0x6E, 0x80, 0x22], 3),
        ] {
            do {
                _ = try JSONValue.parse(Data(bytes))
                Issue.record("accepted \(bytes)")
            } catch let error as JSONParseError {
                #expect(error.offset == offset && error.reason == "invalid UTF-8", "\(bytes): \(error)")
            } catch { Issue.record("\(error)") }
        }
        do {
            _ = try JSONValue.parse(Data(#"{"id":"1","id":"2"}"#.utf8))
            Issue.record("duplicate key accepted")
        } catch { #expect("\(error)" == #"duplicate key "id" at byte 10"#) }
        #expect((try? JSONValue.parse(Data(#"["é😀","\u00e9\ud83d\ude00"]"#.utf8))) == ["é😀", "é😀"])
    }

    /// Was a poison job: accepted, then every claim failed to decode its plan.
    @Test func anOutOfRangeTotalIsRefusedAtTheDoor() async throws {
        let daemon = try await RunningDaemon.start(fake: StaticFake())
        let body = Data(#"{"id":"p","customer":{"phone":"+79125550199"},"items":[],"total":-9223372036854775808}"#.utf8)
        let answer = try await daemon.send("/v1/orders", body: body, contentType: "application/json")
        #expect(answer.status == 422)
        #expect(answer.json?["details"]?.arrayValue?.first?["path"] == "total")
        await #expect(try daemon.store.list(JobFilter()).isEmpty)
        await daemon.stop()
    }

    /// A row that does not decode is failed with the reason; claim, list and show go on.
    @Test func aCorruptRowIsFailedAndEverythingElseGoesOn() async throws {
        let dir = TempDir()
        let store = try SQLiteStore(path: dir.file("q.sqlite3"))
        let good = try Self.mapper.mapOrder(sampleOrder(id: "good"))
        let bad = try Self.mapper.mapOrder(sampleOrder(id: "bad"))
        _ = try await store.enqueue([.versioned(bad, input: sampleOrder(id: "bad")), .versioned(good, input: sampleOrder(id: "good"))])
        try await store.database.write { db in
            try db.execute(
                sql: #"UPDATE jobs SET plan = '{"key":"orders:bad","lead":{"price":-9.223372036854776e+18}}' WHERE external_id = 'bad'"#)
        }
        let claimed = try await store.claimBatch(limit: 10, leaseFor: 60)
        #expect(claimed.map(\.externalID) == ["good"])
        let list = try await store.list(JobFilter())
        #expect(list.count == 2)
        let corrupt = try #require(list.first { $0.externalID == "bad" })
        #expect(corrupt.state == .failed)
        #expect(corrupt.lastError?.hasPrefix("stored job cannot be read: plan:") == true)
        await #expect(try store.job(corrupt.id)?.state == .failed)
        await #expect(try store.claimBatch(limit: 10, leaseFor: 60).isEmpty, "not claimed again")
    }

    /// The crash without any credential, and the RFC 7578 shapes browsers send.
    @Test func multipartFramingIsParsedByTheRFC() throws {
        #expect(throws: MalformedBody.self) {
            try BodyDecoder.parseMultipart(Data("--B\r\nContent-Disposition: form-data; name=\"phone\"\r\n\r\n--B--".utf8), boundary: "B")
        }
        for broken in [
            "--B", "--B\r\n", "--B\r\nX", "--B\r\n\r\n", "--Bx\r\n", "\r\n--B\r\nContent-Disposition: form-data\r\n\r\nv\r\n--B--",
        ] {
            #expect(throws: MalformedBody.self, "\(broken.debugDescription)") {
                try BodyDecoder.parseMultipart(Data(broken.utf8), boundary: "B")
            }
        }
        let body =
            "preamble text\r\n--B\r\n"
            + "Content-Disposition: form-data; name=\"a;b\"\r\n\r\nsemi\r\n--B\r\n"
            + "content-disposition:form-data;name=plain\r\n\r\nline1\r\nline2\r\n--B\r\n"
            + "Content-Disposition: form-data; name=\"q%22uote\"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n--B is not a "
            + "delimiter here\r\n--B\r\n"
            + "Content-Disposition: form-data; name=\"file\"; filename*=UTF-8''%D1%84.txt\r\n\r\nskipped\r\n--B\r\n"
            + "Content-Disposition: form-data; name=\"empty\"\r\n\r\n\r\n--B--\r\nepilogue --B\r\n"
        let parts = try BodyDecoder.parseMultipart(Data(body.utf8), boundary: "B")
        #expect(parts.map(\.0) == ["a;b", "plain", "q\"uote", "empty"])
        #expect(parts.map(\.1) == ["semi", "line1\r\nline2", "--B is not a delimiter here", ""])
    }

    @Test func logLinesCannotBeForged() {
        for vector in ["x\n<3>ERROR forged", "x\r\n<3>ERROR forged", "x\r<3>ERROR", "a\u{0}b", "a\u{1B}[31mred", "a\u{85}b", "a\u{2028}b"] {
            let quoted = LineLogHandler.quote(vector)
            #expect(
                !quoted.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0.value == 0x2028 }, "\(quoted)")
            #expect(!LineLogHandler.escaped(vector).contains("\n"))
        }
        #expect(LineLogHandler.quote("x\n<3>ERROR forged") == #""x\n<3>ERROR forged""#)
        #expect(LineLogHandler.quote(#"a\b"#) == #"a\\b"#)
    }

    @Test func theTextFormatEscapesMessageAndMetadata() {
        // The handler writes to stdout; its line builder is what journald gets.
        let line = LineLogHandler(label: "t", level: .info).line(
            level: .info, message: "job\nqueued",
            metadata: ["job.external_id": "x\n<3>ERROR forged", "k": "\u{0}"])
        #expect(!line.contains("\n"))
        #expect(line == #"<6>INFO job\nqueued job.external_id="x\n<3>ERROR forged" k=\u{0}"#)
    }

    /// Bad chunking, a short body, unknown transfer encodings: 400 or a closed connection,
    /// nothing stored, nothing logged at error level; and a slow or idle client is closed.
    @Test func transportErrorsAreTheClientsAndSlowClientsAreClosed() async throws {
        let capture = LogCapture()
        let daemon = try await RunningDaemon.start(fake: StaticFake(), logger: capture.logger()) { json in
            json.set("server.header_timeout_seconds", 1)
            json.set("server.body_timeout_seconds", 1)
            json.set("server.idle_timeout_seconds", 1)
            json.set("server.max_connections", 4)
        }
        let head = "POST /v1/forms/open HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        for request in [
            head + "Transfer-Encoding: chunked\r\n\r\nzz\r\n", head + "Transfer-Encoding: identity\r\n\r\nphone=1",
            head + "Transfer-Encoding: xchunked\r\n\r\nphone=1", head + "Content-Length: 100\r\n\r\nphone=8912",
        ] {
            let client = try RawClient(port: daemon.port)
            client.send(request)
            client.shutdownWrite()
            let status = await client.readStatus()
            #expect(status == nil || (400..<500).contains(status!), "\(request.debugDescription): \(status.map(String.init) ?? "closed")")
        }
        // Unfinished headers and a body that never ends are closed by the timeouts.
        let slowHead = try RawClient(port: daemon.port)
        slowHead.send("POST /v1/forms/open HTTP/1.1\r\nHost: x\r\n")
        #expect(await slowHead.readUntilClosed().closed, "header timeout")
        let slowBody = try RawClient(port: daemon.port)
        slowBody.send(head + "Content-Length: 100\r\n\r\nphone=")
        #expect(await slowBody.readUntilClosed().closed, "body timeout")
        let idle = try RawClient(port: daemon.port)
        #expect(await idle.readUntilClosed().closed, "idle timeout")
        await #expect(try daemon.store.list(JobFilter()).isEmpty)
        #expect(!capture.all.contains { $0.hasPrefix("error") }, "\(capture.all.filter { $0.hasPrefix("error") })")
        await daemon.stop()
    }

    /// Past `max_connections` a connection is closed at once; the open ones still work.
    @Test func connectionsPastTheCapAreClosed() async throws {
        let daemon = try await RunningDaemon.start(fake: StaticFake()) { json in json.set("server.max_connections", 4) }
        let held = try (0..<4).map { _ in try RawClient(port: daemon.port) }
        for client in held {
            client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(await client.readStatus() == 200)
        }
        let extra = try RawClient(port: daemon.port)
        #expect(await extra.readUntilClosed().closed)
        held[0].send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(await held[0].readStatus() == 200)
        await daemon.stop()
    }
}

/// Behind a reverse proxy: only a trusted peer's `X-Forwarded-For` names the client.
@Suite struct ClientAddressTests {
    @Test func thePerAddressLimitKeysOnTheClientOnlyFromTrustedProxies() async throws {
        func post(_ daemon: RunningDaemon, from client: String) async throws -> Int {
            try await daemon.send(
                "/v1/forms/open", body: Data("phone=89120000001".utf8), contentType: "application/x-www-form-urlencoded",
                token: nil, headers: ["X-Forwarded-For": "203.0.113.9, \(client)"]
            ).status
        }
        let trusting = try await RunningDaemon.start(fake: StaticFake()) { json in
            json.set("server.trusted_proxies", ["127.0.0.1/32"])
            json.set("forms.open.per_ip_per_minute", 1)
        }
        #expect(try await post(trusting, from: "198.51.100.1") == 202)
        #expect(try await post(trusting, from: "198.51.100.2") == 202, "another visitor behind the same proxy")
        #expect(try await post(trusting, from: "198.51.100.1") == 429, "the same visitor again")
        await trusting.stop()
        let untrusting = try await RunningDaemon.start(fake: StaticFake()) { json in json.set("forms.open.per_ip_per_minute", 1) }
        #expect(try await post(untrusting, from: "198.51.100.1") == 202)
        #expect(try await post(untrusting, from: "198.51.100.2") == 429, "headers from an untrusted peer are ignored")
        await untrusting.stop()
    }

    @Test func theLimitUsesMonotonicTimeAndABoundedTable() async {
        let limit = IPRateLimit(capacity: 3)
        let start = ContinuousClock.now
        #expect(await limit.check("a", limit: 1, now: start) == nil)
        #expect(await limit.check("a", limit: 1, now: start + .seconds(59)) == 1)
        #expect(await limit.check("a", limit: 1, now: start + .seconds(60)) == nil, "a minute later")
        for key in ["b", "c", "d", "e"] { #expect(await limit.check(key, limit: 5, now: start + .seconds(61)) == nil) }
        // Full: the oldest entry ("a") has used its budget until +120 s, so it is held, not forgotten.
        #expect(await limit.count == 4)
        #expect(await limit.check("a", limit: 1, now: start + .seconds(62)) == 58, "a is still limited")
    }

    @Test(arguments: [
        ("10.0.0.0/8", "10.255.1.2", true), ("10.0.0.0/8", "11.0.0.1", false), ("127.0.0.1", "127.0.0.1", true),
        ("::1/128", "::1", true), ("2001:db8::/32", "2001:db8:1::5", true), ("2001:db8::/32", "10.0.0.1", false),
        ("192.168.1.0/25", "192.168.1.200", false),
    ])
    func cidrs(network: String, address: String, inside: Bool) throws {
        #expect(try #require(CIDR(network)).contains(address) == inside)
    }
}
