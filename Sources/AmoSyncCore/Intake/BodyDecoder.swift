import Foundation

/// Request bodies of the three kinds intake accepts, decoded into one flat or nested
/// `JSONValue` object.
public enum BodyDecoder {
    public enum Kind: Equatable, Sendable { case json, urlencoded, multipart(boundary: String) }

    /// The body kind for a Content-Type header, nil when unsupported.
    public static func kind(of contentType: String?) -> Kind? {
        guard let contentType else { return nil }
        let parts = contentType.split(separator: ";").map { $0.trimmed }
        switch parts.first?.lowercased() {
        case "application/json": return .json
        case "application/x-www-form-urlencoded": return .urlencoded
        case "multipart/form-data":
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map(String.init)
                if pair.count == 2, pair[0].lowercased() == "boundary" {
                    return .multipart(boundary: pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
                }
            }
            return nil
        default: return nil
        }
    }

    /// Decodes a body; throws `IntakeError` 400 when it is malformed.
    public static func decode(_ data: Data, as kind: Kind) throws(IntakeError) -> JSONValue {
        switch kind {
        case .json:
            do { return try JSONValue.parse(data) } catch {
                throw .malformed("body is not valid JSON: \(Config.describe(error))")
            }
        case .urlencoded:
            guard let text = String(data: data, encoding: .utf8) else { throw .malformed("form body is not UTF-8") }
            return .object(collect(parseURLEncoded(text)))
        case .multipart(let boundary):
            return .object(collect(try parseMultipart(data, boundary: boundary)))
        }
    }

    /// Repeated names become arrays.
    static func collect(_ pairs: [(String, String)]) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for (name, value) in pairs {
            let key = name.hasSuffix("[]") ? String(name.dropLast(2)) : name
            switch result[key] {
            case nil: result[key] = name.hasSuffix("[]") ? .array([.string(value)]) : .string(value)
            case .array(let list)?: result[key] = .array(list + [.string(value)])
            case let existing?: result[key] = .array([existing, .string(value)])
            }
        }
        return result
    }

    public static func parseURLEncoded(_ text: String) -> [(String, String)] {
        text.split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
            guard let name = parts.first.map(decode), !name.isEmpty else { return nil }
            return (name, parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    /// Text parts of a multipart body; file parts are skipped.
    static func parseMultipart(_ data: Data, boundary: String) throws(IntakeError) -> [(String, String)] {
        let delimiter = Array("--\(boundary)".utf8)
        let bytes = [UInt8](data)
        var positions: [Int] = []
        var index = 0
        while let found = find(delimiter, in: bytes, from: index) {
            positions.append(found)
            index = found + delimiter.count
        }
        guard positions.count >= 2 else { throw .malformed("multipart body has no parts for boundary \(boundary)") }
        var result: [(String, String)] = []
        for (start, end) in zip(positions, positions.dropFirst()) {
            var partStart = start + delimiter.count
            if bytes[partStart..<min(partStart + 2, bytes.count)].elementsEqual([13, 10]) { partStart += 2 }
            var partEnd = end
            if partEnd >= 2, bytes[partEnd - 2..<partEnd].elementsEqual([13, 10]) { partEnd -= 2 }
            guard partStart <= partEnd, let split = find([13, 10, 13, 10], in: bytes, from: partStart), split <= partEnd else {
                throw .malformed("multipart part without headers")
            }
            let headers = String(decoding: bytes[partStart..<split], as: UTF8.self)
            guard let disposition = headers.split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("content-disposition:") }) else {
                throw .malformed("multipart part without Content-Disposition")
            }
            let parameters = parseDisposition(String(disposition))
            guard let name = parameters["name"] else { throw .malformed("multipart part without a name") }
            if parameters["filename"] != nil { continue }
            result.append((name, String(decoding: bytes[(split + 4)..<partEnd], as: UTF8.self)))
        }
        return result
    }

    static func parseDisposition(_ line: String) -> [String: String] {
        var result: [String: String] = [:]
        for item in line.split(separator: ";").dropFirst() {
            let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmed }
            if pair.count == 2 { result[pair[0].lowercased()] = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        return result
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        var i = start
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == needle[0], haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
