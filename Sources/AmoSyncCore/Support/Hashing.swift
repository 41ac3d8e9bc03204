import CLibCrypto
import Foundation

/// SHA-256 and HMAC-SHA256 from the system's OpenSSL (libcrypto): dedupe keys and webhook
/// signatures. Debian's security updates to OpenSSL reach amosync without a rebuild.
package enum Hashing {
    /// Lowercase hex of the SHA-256 digest.
    package static func sha256Hex(_ bytes: some DataProtocol) -> String {
        sha256(bytes).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    static func sha256(_ bytes: some DataProtocol) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let done = withBytes(Array(bytes)) { data, count in EVP_Digest(data, count, &digest, &length, EVP_sha256(), nil) }
        precondition(done == 1 && length == 32, "OpenSSL's SHA-256 failed")
        return Array(digest.prefix(Int(length)))
    }

    static func hmacSHA256(key: [UInt8], message: some DataProtocol) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let done = withBytes(key) { keyBytes, keyCount in
            withBytes(Array(message)) { data, count in
                HMAC(EVP_sha256(), keyBytes, Int32(keyCount), data, count, &digest, &length) != nil
            }
        }
        precondition(done && length == 32, "OpenSSL's HMAC-SHA256 failed")
        return Array(digest.prefix(Int(length)))
    }

    /// base64(HMAC-SHA256(secret, body)): how WooCommerce and Shopify sign, and how amosync signs
    /// what it posts to a shop's own backend.
    package static func hmacBase64(_ body: some DataProtocol, secret: String) -> String {
        Data(hmacSHA256(key: Array(secret.utf8), message: body)).base64EncodedString()
    }

    /// True when `signature` (base64, as WooCommerce and Shopify send it) is the HMAC of
    /// `body` with `secret`; compared in constant time.
    package static func verifyHMACBase64(_ signature: String?, body: some DataProtocol, secret: String) -> Bool {
        guard let signature, let presented = Data(base64Encoded: signature.trimmed) else { return false }
        return constantTimeEqual(Array(presented), hmacSHA256(key: Array(secret.utf8), message: body))
    }

    /// Compares without an early exit, so timing does not reveal a token's prefix.
    package static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }

    /// A pointer to the bytes that is never nil, also for none (OpenSSL reads a NULL key as
    /// "no key given", not as an empty one).
    private static func withBytes<R>(_ bytes: [UInt8], _ body: (UnsafePointer<UInt8>, Int) -> R) -> R {
        if bytes.isEmpty {
            let empty: [UInt8] = [0]
            return empty.withUnsafeBufferPointer { body($0.baseAddress!, 0) }
        }
        return bytes.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
    }
}
