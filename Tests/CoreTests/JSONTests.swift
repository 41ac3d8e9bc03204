import Foundation
import Testing
@testable import AmoSyncCore
@testable import TestFixtures

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
    func aStoredPlanReadsBackAsItself(phone: String) throws {
        let job = try Mapper(config: MappingFixtures.config()).mapOrder(
            [
                "id": "9", "customer": ["name": "A", "phone": .string(phone), "email": "a@b.cd"], "total": 10, "status": "paid",
                "items": [["name": "X", "price": 1]], "utm": ["source": "s"], "amocrm": ["lead": ["4242": "v"]],
            ])
        #expect((job.plan.contact?.unmatchedPhones == nil) == (phone == "89125550102"))
        #expect(try DeliveryPlan(json: JSONValue.parse(job.plan.json.canonicalData)) == job.plan)
    }

    /// A plan as the 2026-11-30 build stored it (every key it wrote) reads as that plan.
    @Test func aPlanAnOlderVersionStoredReads() throws {
        let stored = #"""
            {"contact":{"emails":["clara@example.org"],"fields":[{"field":{"name":"Город","type":"text"},"from":"city","value":"Perm"}],
             "name":"Clara","phones":["+100000"]},"key":"contacts:u-clara",
             "lead":{"fields":[{"field":1278898,"from":"amocrm.lead.1278898","value":"x"}],"name":"Заявка","pipelineID":3177727,
             "price":5490,"responsibleUserID":123453,"statusID":32392160,"tags":["site-form"],"mappedStatusID":142},
             "note":"Заявка с формы callback","warnings":[]}
            """#
        let plan = try DeliveryPlan(json: JSONValue.parse(Data(stored.utf8)))
        #expect(plan.contact?.phones == ["+100000"])
        #expect(plan.contact?.unmatchedPhones == nil)
        #expect(plan.contact?.fields.first?.field == .name("Город", type: "text"))
        #expect(plan.lead?.fields.first?.field == .id(1_278_898))
        #expect(plan.lead?.pipelineID == 3_177_727 && plan.lead?.mappedStatusID == 142 && plan.lead?.price == 5490)
        #expect(throws: PlanDecodingError.self) { try DeliveryPlan(json: ["key": 5]) }
        #expect {
            try DeliveryPlan(json: ["key": "k", "lead": ["name": "x", "fields": [["field": true]]]])
        } throws: { error in
            "\(error)" == "lead.fields.0.field: expected a field id, a name or {\"name\", \"type\"}"
        }
    }
}
