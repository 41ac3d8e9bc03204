import Foundation

/// Reads claims from a JWT without verifying it (amoCRM access tokens are JWTs; `exp` is
/// the expiry, `api_domain` the API host).
package enum JWT {
    static func claims(_ token: String) -> JSONValue? {
        let parts = token.split(separator: ".")
        guard parts.count == 3 else { return nil }
        var base64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64) else { return nil }
        return try? JSONValue.parse(data)
    }

    package static func expiry(_ token: String) -> Date? {
        claims(token)?["exp"]?.doubleValue.map(Date.init(timeIntervalSince1970:))
    }

    /// An unsigned JWT-shaped token (the fake issues these).
    package static func make(_ claims: JSONValue) -> String {
        func encode(_ data: Data) -> String {
            data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
        return encode(Data(#"{"typ":"JWT","alg":"none"}"#.utf8)) + "." + encode(claims.canonicalData) + "."
            + encode(Data(UUID().uuidString.utf8))
    }
}
