import Foundation
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import AmoCRMFake
@testable import AmoSyncCLI

@Suite struct JSONTests {
    @Test(arguments: [
        (#"{"b":1,"a":[true,false,null,"x"],"c":{"d":-1.5e2}}"#, #"{"a":[true,false,null,"x"],"b":1,"c":{"d":-150}}"#),
        (#" [ "\u041f\u0440\u0438\u0432\u0435\u0442", "\ud83d\ude00", "a\"b\\c\/d\n" ] "#, #"["Привет","😀","a\"b\\c/d\n"]"#),
        (#"{"n":5100.0,"m":19.99,"z":0,"big":5940139491234}"#, #"{"big":5940139491234,"m":19.99,"n":5100,"z":0}"#),
        (#""tab\tand\u0001""#, #""tab\tand\u0001""#),
    ])
    func parseAndWriteCanonically(input: String, canonical: String) throws {
        let value = try JSONValue.parse(Data(input.utf8))
        #expect(value.canonicalString == canonical)
        #expect(try JSONValue.parse(value.canonicalData) == value, "round trip")
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(canonical.utf8)) == value, "agrees with Foundation")
    }

    @Test(arguments: [
        "{", #"{"a" 1}"#, "[1,]", "01", "tru", #""unterminated"#, "{} x", #""\x""#, #""\ud800""#, "-", "1.", "2.e-3", ".5", "+1",
        "\"a\u{01}\"",
    ])
    func malformedInputIsRejected(input: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Data(input.utf8)) }
    }

    @Test func deepNestingIsRejectedNotCrashing() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Data(deep.utf8)) }
    }

    @Test func errorsSayWhere() {
        let error = #expect(throws: JSONParseError.self) { try JSONValue.parse(Data(#"{"id": 1,}"#.utf8)) }
        #expect(error.map { "\($0)" } == "expected a key in quotes at byte 9")
    }
}

@Suite struct PlanEncodingTests {
    @Test(arguments: ["89125550102", "555-555-SHIP"])
    func handWrittenPlanJSONDecodesLikeCodable(phone: String) throws {
        let job = try Mapper(config: MappingTests.config()).mapOrder(
            [
                "id": "9", "customer": ["name": "A", "phone": .string(phone), "email": "a@b.cd"], "total": 10, "status": "paid",
                "items": [["name": "X", "price": 1]], "utm": ["source": "s"], "amocrm": ["lead": ["4242": "v"]],
            ])
        #expect((job.plan.contact?.unmatchedPhones == nil) == (phone == "89125550102"))
        let decoded = try JSONDecoder().decode(DeliveryPlan.self, from: job.plan.json.canonicalData)
        #expect(decoded == job.plan)
        let viaCodable = try JSONValue.encode(job.plan)
        #expect(viaCodable == job.plan.json)
    }
}
