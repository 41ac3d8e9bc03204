import Foundation

/// Request bodies of the three kinds intake accepts, decoded into one flat or nested
/// `JSONValue` object.
package enum BodyDecoder {
    package enum Kind: Equatable, Sendable { case json, urlencoded, multipart(boundary: String) }

    /// The body kind for a Content-Type header, nil when unsupported.
    package static func kind(of contentType: String?) -> Kind? {
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

    /// Decodes a body; throws `MalformedBody` (intake answers 400) when it is malformed.
    package static func decode(_ data: Data, as kind: Kind) throws(MalformedBody) -> JSONValue {
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

    /// Repeated names become arrays. Linear in the number of pairs: the values of a name are
    /// gathered first and wrapped once (appending to an array held inside the result would
    /// copy it for every repeat: 87,000 `a=&` took seconds).
    static func collect(_ pairs: [(String, String)]) -> [String: JSONValue] {
        var gathered: [String: (list: Bool, values: [JSONValue])] = [:]
        gathered.reserveCapacity(min(pairs.count, 1024))
        for (name, value) in pairs {
            let isList = name.hasSuffix("[]")
            let key = isList ? String(name.dropLast(2)) : name
            gathered[key, default: (isList, [])].values.append(.string(value))
            if isList { gathered[key]!.list = true }
        }
        return gathered.mapValues { entry in
            entry.list || entry.values.count > 1 ? .array(entry.values) : entry.values[0]
        }
    }

    /// `name=value&…` pairs in order, `+` and `%XX` decoded; a part with a broken escape, or
    /// one that decodes to invalid UTF-8, is kept as written. One pass over the bytes.
    package static func parseURLEncoded(_ text: String) -> [(String, String)] {
        var pairs: [(String, String)] = []
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            while start <= bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != UInt8(ascii: "&") { end += 1 }
                if end > start {
                    var equals = start
                    while equals < end, bytes[equals] != UInt8(ascii: "=") { equals += 1 }
                    let name = formDecode(UnsafeBufferPointer(rebasing: bytes[start..<equals]))
                    if !name.isEmpty {
                        let value = equals < end ? formDecode(UnsafeBufferPointer(rebasing: bytes[(equals + 1)..<end])) : ""
                        pairs.append((name, value))
                    }
                }
                start = end + 1
            }
        }
        return pairs
    }

    /// One urlencoded name or value.
    static func formDecode(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard bytes.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else {
            return String(decoding: bytes, as: UTF8.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                out.append(0x20)
            } else if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) else {
                    return String(decoding: bytes, as: UTF8.self)  // a broken escape: as written
                }
                out.append(high << 4 | low)
                index += 2
            } else {
                out.append(byte)
            }
            index += 1
        }
        return String(validating: out, as: UTF8.self) ?? String(decoding: bytes, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Text parts of a multipart body (RFC 7578 over RFC 2046's framing); file parts are
    /// skipped. A delimiter counts only at the start of the body or after CRLF, and only when
    /// `--` or a line break follows it, so boundary text inside a value is content; the
    /// preamble and epilogue are ignored.
    static func parseMultipart(_ data: Data, boundary: String) throws(MalformedBody) -> [(String, String)] {
        guard (1...70).contains(boundary.utf8.count) else { throw .malformed("multipart boundary must be 1 to 70 characters long") }
        let bytes = [UInt8](data)
        let dashBoundary = Array("--\(boundary)".utf8)
        let delimiter: [UInt8] = [13, 10] + dashBoundary
        var position: Int
        if bytes.starts(with: dashBoundary) {
            position = dashBoundary.count
        } else if let found = nextDelimiter(delimiter, in: bytes, from: 0) {
            position = found + delimiter.count
        } else {
            throw .malformed("multipart body has no part for boundary \(boundary)")
        }
        var result: [(String, String)] = []
        while true {
            if bytes[position...].starts(with: [45, 45]) { return result }  // "--": the close delimiter
            while position < bytes.count, bytes[position] == 32 || bytes[position] == 9 { position += 1 }  // transport padding
            guard bytes[position...].starts(with: [13, 10]) else {
                throw .malformed("multipart boundary is not followed by a line break at byte \(position)")
            }
            // The CRLF before the next delimiter belongs to the delimiter, so the search starts
            // at this line break: a part without headers and body is `CRLF` + delimiter.
            guard let next = nextDelimiter(delimiter, in: bytes, from: position) else {
                throw .malformed("multipart body ends before its closing boundary --\(boundary)--")
            }
            if let field = try part(bytes[(position + 2)..<max(position + 2, next)]) { result.append(field) }
            position = next + delimiter.count
        }
    }

    /// The next `delimiter` that is followed by `--` or by optional padding and CRLF.
    static func nextDelimiter(_ delimiter: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        var from = start
        while let found = find(delimiter, in: bytes, from: from) {
            var after = found + delimiter.count
            if bytes[after...].starts(with: [45, 45]) { return found }
            while after < bytes.count, bytes[after] == 32 || bytes[after] == 9 { after += 1 }
            if bytes[after...].starts(with: [13, 10]) { return found }
            from = found + 1
        }
        return nil
    }

    /// One part: headers, an empty line, the content. Nil for a file part.
    static func part(_ bytes: ArraySlice<UInt8>) throws(MalformedBody) -> (String, String)? {
        let headerEnd: Int
        let contentStart: Int
        if bytes.starts(with: [13, 10]) {
            headerEnd = bytes.startIndex
            contentStart = bytes.startIndex + 2
        } else if let split = find([13, 10, 13, 10], in: bytes) {
            headerEnd = split
            contentStart = split + 4
        } else {
            throw .malformed("multipart part without the empty line that ends its headers")
        }
        let headers = String(decoding: bytes[bytes.startIndex..<headerEnd], as: UTF8.self)
        let disposition = headers.split(separator: "\r\n").lazy.compactMap { line -> Substring? in
            guard let colon = line.firstIndex(of: ":"), line[..<colon].trimmed.lowercased() == "content-disposition" else { return nil }
            return line[line.index(after: colon)...]
        }.first
        guard let disposition else { throw .malformed("multipart part without Content-Disposition") }
        let parameters = parseDisposition(disposition)
        guard let name = parameters["name"] else { throw .malformed("multipart part without a name") }
        if parameters.keys.contains(where: { $0.hasPrefix("filename") }) { return nil }
        return (name, String(decoding: bytes[contentStart...], as: UTF8.self))
    }

    /// `form-data; name="a;b"; filename*=UTF-8''x` → lowercased parameter names and their
    /// values. Quoted strings may hold `;` and `\"`; browsers write `"`, CR and LF in names
    /// as `%22`, `%0D`, `%0A`, which are decoded back.
    static func parseDisposition(_ value: some StringProtocol) -> [String: String] {
        var result: [String: String] = [:]
        var scalars = Substring(value).unicodeScalars[...]
        func skipSpaces() { while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() } }
        // The disposition type, then `; name=value` pairs.
        while let first = scalars.first, first != ";" { scalars.removeFirst() }
        while scalars.first == ";" {
            scalars.removeFirst()
            skipSpaces()
            var name = ""
            while let first = scalars.first, first != "=", first != ";" { name.unicodeScalars.append(scalars.removeFirst()) }
            guard scalars.first == "=" else { continue }
            scalars.removeFirst()
            skipSpaces()
            var text = ""
            if scalars.first == "\"" {
                scalars.removeFirst()
                while let next = scalars.popFirst(), next != "\"" {
                    text.unicodeScalars.append(next == "\\" ? (scalars.popFirst() ?? next) : next)
                }
                while let first = scalars.first, first != ";" { scalars.removeFirst() }
            } else {
                while let first = scalars.first, first != ";" { text.unicodeScalars.append(scalars.removeFirst()) }
                text = text.trimmed
            }
            let key = name.trimmed.lowercased()
            guard !key.isEmpty else { continue }
            result[key] = text.replacingOccurrences(of: "%22", with: "\"").replacingOccurrences(of: "%0D", with: "\r")
                .replacingOccurrences(of: "%0A", with: "\n")
        }
        return result
    }

    /// The first index of `needle` in `haystack` at or after `start` (indices of `haystack`).
    static func find<Bytes: RandomAccessCollection<UInt8>>(_ needle: [UInt8], in haystack: Bytes, from start: Int? = nil) -> Int?
    where Bytes.Index == Int {
        let start = start ?? haystack.startIndex
        guard !needle.isEmpty, start >= haystack.startIndex, haystack.endIndex - start >= needle.count else { return nil }
        var i = start
        let last = haystack.endIndex - needle.count
        while i <= last {
            if haystack[i] == needle[0], haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}

/// A body that cannot be decoded, with what is wrong and where.
package struct MalformedBody: Error, Sendable, CustomStringConvertible {
    package var message: String
    package var description: String { message }

    static func malformed(_ message: String) -> MalformedBody { MalformedBody(message: message) }
}
