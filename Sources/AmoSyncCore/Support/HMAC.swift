import Foundation

/// HMAC-SHA256 (RFC 2104) for webhook signatures.
public enum HMAC {
    public static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var key = key.count > 64 ? SHA256.hash(key) : key
        key += [UInt8](repeating: 0, count: 64 - key.count)
        let inner = SHA256.hash(key.map { $0 ^ 0x36 } + message)
        return SHA256.hash(key.map { $0 ^ 0x5C } + inner)
    }

    /// True when `signature` (base64) is the HMAC of `body`; compared in constant time.
    public static func verifyBase64(_ signature: String?, body: [UInt8], secret: String) -> Bool {
        guard let signature, let presented = Data(base64Encoded: signature.trimmed) else { return false }
        let expected = sha256(key: Array(secret.utf8), message: body)
        return IntakeRoutes.constantTimeEqual(expected, Array(presented))
    }
}
