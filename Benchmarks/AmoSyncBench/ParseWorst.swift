import AmoSyncCore
import Foundation

/// `amosync-bench parse`: the worst body shapes of every parser intake runs before a job is
/// stored, each as large as `server.max_body_bytes` (default 256 KiB): CPU time of decoding
/// and of the whole mapping a public form or the Tilda hook does with it.
enum ParseWorst {
    struct Shape {
        var name: String
        var kind: BodyDecoder.Kind
        var body: Data
    }

    static func repeated(_ piece: String, upTo size: Int, prefix: String = "", suffix: String = "") -> Data {
        let room = size - prefix.utf8.count - suffix.utf8.count
        let count = max(1, room / piece.utf8.count)
        return Data((prefix + String(repeating: piece, count: count) + suffix).utf8)
    }

    static func shapes(size: Int) -> [Shape] {
        let parts = (0..<(size / 60)).map { _ in "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n" }.joined()
        var distinct = ""
        var index = 0
        while distinct.utf8.count < size - 32 {
            distinct += "n\(index)=v&"
            index += 1
        }
        var products = ""
        index = 0
        while products.utf8.count < size - 64 {
            products += "payment%5Bproducts%5D%5B\(index)%5D%5Bname%5D=x&"
            index += 1
        }
        return [
            Shape(name: "urlencoded, one name repeated (a=&a=&…)", kind: .urlencoded, body: repeated("a=&", upTo: size)),
            Shape(name: "urlencoded, one list name repeated (a[]=x&…)", kind: .urlencoded, body: repeated("a[]=x&", upTo: size)),
            Shape(name: "urlencoded, distinct names", kind: .urlencoded, body: Data(distinct.utf8)),
            Shape(name: "urlencoded, percent escapes", kind: .urlencoded, body: repeated("%D0%9F", upTo: size, prefix: "a=")),
            Shape(
                name: "urlencoded, Tilda cart with many products", kind: .urlencoded,
                body: Data(("Phone=%2B79125550102&payment%5Bamount%5D=1&" + products).utf8)),
            Shape(
                name: "urlencoded, Tilda key nested deeply", kind: .urlencoded,
                body: repeated("%5Bx%5D", upTo: size, prefix: "Phone=1&payment", suffix: "=1")),
            Shape(name: "multipart, one name repeated", kind: .multipart(boundary: "B"), body: Data((parts + "--B--\r\n").utf8)),
            Shape(
                name: "multipart, boundary look-alikes in a value", kind: .multipart(boundary: "B"),
                body: repeated(
                    "\r\n--Bx", upTo: size, prefix: "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n", suffix: "\r\n--B--\r\n")),
            Shape(name: "JSON, long array", kind: .json, body: repeated("1,", upTo: size, prefix: "{\"a\":[", suffix: "1]}")),
            Shape(name: "JSON, escapes", kind: .json, body: repeated("\\u00e9", upTo: size, prefix: "{\"a\":\"", suffix: "\"}")),
            Shape(
                name: "JSON, many keys", kind: .json,
                body: Data(("{" + (0..<(size / 14)).map { "\"k\($0)\":1" }.joined(separator: ",") + "}").utf8)),
            Shape(name: "JSON, deep nesting", kind: .json, body: repeated("[", upTo: size)),
        ]
    }

    /// CPU seconds of this process so far.
    static func cpu() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
            + Double(usage.ru_stime.tv_usec) / 1e6
    }

    static func run(size: Int) throws {
        let json: JSONValue = [
            "database": ["path": "/nonexistent/bench.sqlite3"], "amocrm": ["subdomain": "bench", "long_lived_token": "t"],
            "intake": ["tokens": ["bench-intake-token-0123456789"]], "orders": [:],
            "forms": ["callback": ["pipeline_id": 1, "status_id": 2]],
        ]
        let mapper = Mapper(config: try Config.parse(json.canonicalData, environment: [:]))
        print("parse: worst body shapes of \(size) bytes; CPU time of decoding, and of decoding + mapping as a public form")
        print("| shape | bytes | decode | decode + map | outcome |")
        print("|---|---|---|---|---|")
        for shape in shapes(size: size) {
            let start = cpu()
            let decoded = try? BodyDecoder.decode(shape.body, as: shape.kind)
            let decodedAt = cpu()
            var outcome = decoded == nil ? "400 (malformed)" : "decoded"
            if let decoded {
                if case .object(let values) = decoded, let payment = TildaCart.payment(values) {
                    let order = TildaCart.order(
                        values, payment: payment, nameInput: "Name", phoneInput: "Phone", emailInput: "Email", fallbackID: "bench")
                    outcome = (try? mapper.mapOrder(order, source: "tilda", requireContact: false)) == nil ? "422" : "cart mapped"
                } else {
                    outcome = (try? mapper.mapForm("callback", values: decoded, externalID: "bench")) == nil ? "422" : "form mapped"
                }
            }
            let end = cpu()
            print(
                String(
                    format: "| %@ | %d | %.1f ms | %.1f ms | %@ |", shape.name, shape.body.count, (decodedAt - start) * 1000,
                    (end - start) * 1000, outcome))
        }
    }
}
