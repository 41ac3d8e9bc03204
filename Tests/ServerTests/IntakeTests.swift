import Foundation
import GRDB
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import TestSupport
@testable import TestFixtures

/// Every status code of the README's "Intake API", over real loopback HTTP against the running daemon.
@Suite struct IntakeTests {
    @Test func statusCodesAndErrorBodies() async throws {
        let fake = try await RunningFake.start()
        let daemon = try await RunningDaemon.start(fake: fake) { $0.set("server.max_body_bytes", 2048) }
        defer { fake.stop() }

        let accepted = try await daemon.send("/v1/orders", json: sampleOrder(id: "1"))
        #expect(accepted.status == 202)
        #expect(accepted.json?["state"] == "queued")
        let jobID = try #require(accepted.json?["job_id"]?.intValue)

        let duplicate = try await daemon.send("/v1/orders", json: sampleOrder(id: "1"))
        #expect(duplicate.status == 200)
        #expect(duplicate.json?["duplicate"] == true)
        #expect(duplicate.json?["job_id"]?.intValue == jobID)

        let update = try await daemon.send("/v1/orders", json: sampleOrder(id: "1", extra: ["status": "paid"]))
        #expect(update.status == 202)
        #expect(update.json?["kind"] == "order_update")

        let malformed = try await daemon.send("/v1/orders", body: Data("{\"id\": ".utf8), contentType: "application/json")
        #expect(malformed.status == 400)
        #expect(malformed.json?["error"] == "malformed_body")

        #expect(try await daemon.send("/v1/orders", json: sampleOrder(id: "2"), token: nil).status == 401)
        let badToken = try await daemon.send("/v1/orders", json: sampleOrder(id: "2"), token: "wrong-token-0123456789012")
        #expect(badToken.status == 401)
        #expect(badToken.json?["error"] == "unauthorized")

        let unknownForm = try await daemon.send("/v1/forms/nope", json: ["phone": "89125550102"])
        #expect(unknownForm.status == 404)

        let big = try await daemon.send(
            "/v1/orders", json: sampleOrder(id: "3", extra: ["comment": .string(String(repeating: "x", count: 5000))]))
        #expect(big.status == 413)
        #expect(big.json?["error"] == "body_too_large")

        let xml = try await daemon.send("/v1/orders", body: Data("<order/>".utf8), contentType: "application/xml")
        #expect(xml.status == 415)
        #expect(
            try await daemon.send("/v1/orders", body: Data("id=1".utf8), contentType: "application/x-www-form-urlencoded").status == 415)

        let invalid = try await daemon.send("/v1/orders", json: ["id": "4", "customer": ["name": "No Contact"], "items": []])
        #expect(invalid.status == 422)
        #expect(invalid.json?["error"] == "invalid_input")
        #expect(
            invalid.json?["details"] == [
                ["path": "customer", "problem": "required: customer.phone or customer.email"],
                ["path": "items", "problem": "required: at least one item, or a total"],
            ])
        let notObject = try await daemon.send("/v1/orders", json: [1, 2])
        #expect(notObject.status == 422)

        #expect(try await daemon.send("/healthz", method: "GET", token: nil).json == ["status": "ok"])
        #expect(try await daemon.send("/readyz", method: "GET", token: nil).status == 200)

        // Nothing but the two accepted jobs was stored.
        await #expect(try daemon.store.list(JobFilter()).count == 2)

        // The database refuses writes: 503, nothing acknowledged, and /readyz says which check failed.
        try await (daemon.store as! SQLiteStore).database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA query_only = 1") }
        let unavailable = try await daemon.send("/v1/orders", json: sampleOrder(id: "5"))
        #expect(unavailable.status == 503)
        #expect(unavailable.json?["error"] == "storage_unavailable")
        let ready = try await daemon.send("/readyz", method: "GET", token: nil)
        #expect(ready.status == 503)
        #expect(ready.json?["problems"] == ["database_not_writable"])
        try await (daemon.store as! SQLiteStore).database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA query_only = 0") }
        await daemon.stop()
    }

    @Test func formsAcceptJSONURLEncodedAndMultipart() async throws {
        let fake = try await RunningFake.start()
        let daemon = try await RunningDaemon.start(fake: fake)
        defer { fake.stop() }
        let json = try await daemon.send("/v1/forms/callback", json: ["name": "A", "phone": "+7 912 000 00 01", "message": "hi"])
        #expect(json.status == 202)
        let urlencoded = try await daemon.send(
            "/v1/forms/callback", body: Data("name=B+C&phone=%2B7%20912%20000%2000%2002&message=a%26b".utf8),
            contentType: "application/x-www-form-urlencoded")
        #expect(urlencoded.status == 202)
        let boundary = "XyZ123"
        let multipartBody =
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"phone\"\r\n\r\n89120000003\r\n"
            + "--\(boundary)\r\nContent-Disposition: form-data; name=\"message\"\r\n\r\nline1\r\nline2\r\n"
            + "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: "
            + "text/plain\r\n\r\nignored\r\n"
            + "--\(boundary)--\r\n"
        let multipart = try await daemon.send(
            "/v1/forms/callback", body: Data(multipartBody.utf8), contentType: "multipart/form-data; boundary=\(boundary)")
        #expect(multipart.status == 202)
        let missing = try await daemon.send("/v1/forms/callback", json: ["name": "No phone"])
        #expect(missing.status == 422)
        #expect(missing.json?["details"] == [["path": "phone", "problem": "required"]])

        let stored = try await daemon.store.list(JobFilter()).sorted { $0.id < $1.id }
        #expect(stored.map { $0.input["phone"]?.stringValue } == ["+7 912 000 00 01", "+7 912 000 00 02", "89120000003"])
        #expect(stored[1].input["message"] == "a&b")
        #expect(stored[2].input["message"] == "line1\r\nline2")
        #expect(stored[2].input["file"] == nil)

        // Idempotency-Key dedupes a form like an order id.
        let keyed1 = try await daemon.send("/v1/forms/callback", json: ["phone": "89120000004"], headers: ["Idempotency-Key": "abc"])
        let keyed2 = try await daemon.send("/v1/forms/callback", json: ["phone": "89120000004"], headers: ["Idempotency-Key": "abc"])
        #expect(keyed1.status == 202)
        #expect(keyed2.status == 200)
        #expect(keyed2.json?["duplicate"] == true)
        #expect(keyed2.json?["job_id"] == keyed1.json?["job_id"])
        await daemon.stop()
    }

    @Test func publicFormsNeedNoTokenAndRedirectBrowsers() async throws {
        let fake = try await RunningFake.start()
        let daemon = try await RunningDaemon.start(fake: fake)
        defer { fake.stop() }
        #expect(try await daemon.send("/v1/forms/callback", json: ["phone": "89120000001"], token: nil).status == 401)
        let open = try await daemon.send(
            "/v1/forms/open", body: Data("phone=89120000001".utf8),
            contentType: "application/x-www-form-urlencoded", token: nil, headers: ["Accept": "text/html"])
        #expect(open.status == 303)
        #expect(open.header("Location") == "https://shop.example/thanks")
        await #expect(try daemon.store.list(JobFilter()).count == 1, "303 only after the job is stored")
        let api = try await daemon.send("/v1/forms/open", json: ["phone": "89120000002"], token: nil)
        #expect(api.status == 202)
        await daemon.stop()
    }

    @Test(arguments: [
        ("application/json", BodyDecoder.Kind.json), ("application/json; charset=utf-8", .json),
        ("application/x-www-form-urlencoded", .urlencoded), ("multipart/form-data; boundary=\"a b\"", .multipart(boundary: "a b")),
    ])
    func contentTypes(header: String, kind: BodyDecoder.Kind) { #expect(BodyDecoder.kind(of: header) == kind) }

    @Test func unsupportedContentTypes() {
        #expect(BodyDecoder.kind(of: "text/plain") == nil)
        #expect(BodyDecoder.kind(of: "multipart/form-data") == nil, "no boundary")
        #expect(BodyDecoder.kind(of: nil) == nil)
    }

    @Test func urlencodedRepeatsBecomeArrays() throws {
        let value = try BodyDecoder.decode(Data("a=1&a=2&b[]=x&c=&d=%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82+%21".utf8), as: .urlencoded)
        #expect(value == ["a": ["1", "2"], "b": ["x"], "c": "", "d": "Привет !"])
    }

    @Test func constantTimeComparison() {
        #expect(Hashing.constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!Hashing.constantTimeEqual(Array("abc".utf8), Array("abd".utf8)))
        #expect(!Hashing.constantTimeEqual(Array("abc".utf8), Array("abcd".utf8)))
    }
}
