import Foundation
import Testing

@testable import AmoSyncCore

/// SHA-256 (FIPS 180-2 examples) and HMAC-SHA256 (RFC 4231) from the system's OpenSSL, and the
/// signature check WooCommerce and Shopify webhooks go through.
@Suite struct HashingTests {
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        (String(repeating: "a", count: 1_000_000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
    ])
    func sha256KnownVectors(message: String, digest: String) {
        #expect(Hashing.sha256Hex(Array(message.utf8)) == digest)
    }

    @Test(
        arguments: [
            (
                [UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
            ),
            (
                Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
            ),
            (
                [UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50),
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"
            ),
            (Array(1...25), [UInt8](repeating: 0xcd, count: 50), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
            (
                [UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
            ),
            (
                [UInt8](repeating: 0xaa, count: 131),
                Array(
                    ("This is a test using a larger than block-size key and a larger than block-size data. "
                        + "The key needs to be hashed before being used by the HMAC algorithm.").utf8),
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
            ),
            ([], [], "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"),
        ] as [([UInt8], [UInt8], String)])
    func hmacSHA256KnownVectors(key: [UInt8], message: [UInt8], digest: String) {
        #expect(Self.hex(Hashing.hmacSHA256(key: key, message: message)) == digest)
    }

    @Test func webhookSignaturesAreCheckedOnTheRawBody() {
        // The way WooCommerce and Shopify sign: base64 of the raw body's HMAC (computed with Python's hmac).
        #expect(
            Hashing.verifyHMACBase64("xspNGMrVWxIcQDyrXfbm2UqRDdmgJAuEN8sLb9BkThg=", body: Array(#"{"id":1}"#.utf8), secret: "wc-secret"))
        #expect(
            !Hashing.verifyHMACBase64("xspNGMrVWxIcQDyrXfbm2UqRDdmgJAuEN8sLb9BkThg=", body: Array(#"{"id":2}"#.utf8), secret: "wc-secret"))
        #expect(!Hashing.verifyHMACBase64("xspNGMrV", body: Array(#"{"id":1}"#.utf8), secret: "wc-secret"), "a cut signature")
        #expect(!Hashing.verifyHMACBase64("not base64!", body: [], secret: "x"))
        #expect(!Hashing.verifyHMACBase64(nil, body: [], secret: "x"))
    }
}
