import Foundation
import Testing
@testable import AmoSyncCore

/// Bodies as large as `max_body_bytes` in the worst shape for each parser intake runs before a
/// job is stored: decoded right, and in one pass (the CPU time of each shape is measured by
/// `amosync-bench parse`, not asserted here).
@Suite struct HostileInputTests {
    static let size = 262_144

    static func repeated(_ piece: String, prefix: String = "", suffix: String = "") -> Data {
        let room = size - prefix.utf8.count - suffix.utf8.count
        return Data((prefix + String(repeating: piece, count: room / piece.utf8.count) + suffix).utf8)
    }

    @Test func oneNameRepeatedBecomesOneListOfEveryValue() throws {
        let body = Self.repeated("a=&")
        let decoded = try BodyDecoder.decode(body, as: .urlencoded)
        let values = try #require(decoded["a"]?.arrayValue)
        #expect(values.count == Self.size / 3)
        #expect(values.allSatisfy { $0 == "" })
        #expect(decoded.objectValue?.count == 1)
    }

    @Test func aListNameRepeatedKeepsItsValuesInOrder() throws {
        var text = ""
        for index in 0..<20_000 { text += "a[]=\(index)&" }
        let values = try #require(try BodyDecoder.decode(Data(text.utf8), as: .urlencoded)["a"]?.arrayValue)
        #expect(values.count == 20_000)
        #expect(values.first == "0" && values.last == "19999")
    }

    @Test func percentEscapesAndPlusesDecodeAndBrokenOnesStayAsWritten() throws {
        let pairs = BodyDecoder.parseURLEncoded("name=%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82+%21&bad=100%&worse=%zz&bytes=%FF%FE&=x&flag")
        #expect(pairs.map(\.0) == ["name", "bad", "worse", "bytes", "flag"])
        #expect(pairs.map(\.1) == ["Привет !", "100%", "%zz", "%FF%FE", ""])
    }

    @Test func aMultipartBodyOfOneRepeatedPartIsOneList() throws {
        let part = "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n"
        let count = Self.size / part.utf8.count - 1
        let body = Data((String(repeating: part, count: count) + "--B--\r\n").utf8)
        let values = try #require(try BodyDecoder.decode(body, as: .multipart(boundary: "B"))["a"]?.arrayValue)
        #expect(values.count == count)
    }

    @Test func boundaryLookAlikesInsideAValueAreContent() throws {
        let body = Self.repeated("\r\n--Bx", prefix: "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n", suffix: "\r\n--B--\r\n")
        let value = try #require(try BodyDecoder.decode(body, as: .multipart(boundary: "B"))["a"]?.stringValue)
        #expect(value.hasPrefix("\r\n--Bx\r\n--Bx"))
        #expect(value.utf8.count > Self.size - 100)
    }

    @Test func aTildaCartWithThousandsOfProductsKeepsThemAll() throws {
        var text = "Phone=%2B79125550102&payment%5Bamount%5D=1"
        let products = 6_000
        for index in 0..<products { text += "&payment%5Bproducts%5D%5B\(index)%5D%5Bname%5D=P\(index)" }
        let decoded = try BodyDecoder.decode(Data(text.utf8), as: .urlencoded)
        guard case .object(let values) = decoded else {
            Issue.record("the body did not decode to an object: \(decoded)")
            return
        }
        let payment = try #require(TildaCart.payment(values))
        let list = TildaCart.list(payment["products"])
        #expect(list.count == products)
        #expect(list.last?["name"] == "P5999", "products in their order")
    }

    @Test func aTildaKeyNestedDeeperThanACartIsLeftOut() throws {
        let deep = "payment" + String(repeating: "[x]", count: 30_000)
        let values: [String: JSONValue] = [deep: "1", "payment[amount]": "10", "payment[products][0][options][0][variant]": "White"]
        let payment = try #require(TildaCart.payment(values))
        #expect(payment["x"] == nil, "a 30,000-level key is no part of a cart")
        #expect(payment["amount"] == "10")
        #expect(payment["products"]?["0"]?["options"]?["0"]?["variant"] == "White")
    }

    @Test func jsonOfManyKeysAndEscapesAndDeepNesting() throws {
        let keys = (0..<15_000).map { "\"k\($0)\":1" }.joined(separator: ",")
        #expect(try BodyDecoder.decode(Data("{\(keys)}".utf8), as: .json).objectValue?.count == 15_000)
        let escapes = Self.repeated("\\u00e9", prefix: "{\"a\":\"", suffix: "\"}")
        #expect(try BodyDecoder.decode(escapes, as: .json)["a"]?.stringValue?.count == (Self.size - 8) / 6)
        #expect(throws: MalformedBody.self) { try BodyDecoder.decode(Self.repeated("["), as: .json) }
    }
}
