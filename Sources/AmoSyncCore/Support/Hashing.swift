import Crypto
import Foundation

/// SHA-256 and HMAC-SHA256 from swift-crypto: dedupe keys and webhook signatures.
package enum Hashing {
    /// Lowercase hex of the SHA-256 digest.
    package static func sha256Hex(_ bytes: some DataProtocol) -> String {
        SHA256.hash(data: bytes).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    static func hmacSHA256(key: [UInt8], message: some DataProtocol) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }

    /// True when `signature` (base64, as WooCommerce and Shopify send it) is the HMAC of
    /// `body` with `secret`; compared in constant time by swift-crypto.
    package static func verifyHMACBase64(_ signature: String?, body: some DataProtocol, secret: String) -> Bool {
        guard let signature, let presented = Data(base64Encoded: signature.trimmed) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(presented, authenticating: body, using: SymmetricKey(data: Array(secret.utf8)))
    }

    /// Compares without an early exit, so timing does not reveal a token's prefix.
    package static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
