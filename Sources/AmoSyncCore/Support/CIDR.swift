import Foundation

/// An IPv4 or IPv6 network (`10.0.0.0/8`, `::1/128`, or a single address), for
/// `server.trusted_proxies`.
package struct CIDR: Sendable, Equatable {
    let network: [UInt8]
    let prefix: Int

    /// Nil unless `text` is an address with an optional `/prefix` in range.
    init?(_ text: String) {
        let parts = text.trimmed.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = Self.bytes(String(parts[0])) else { return nil }
        let bits = address.count * 8
        if parts.count == 2 {
            guard let prefix = Int(parts[1]), (0...bits).contains(prefix) else { return nil }
            self.prefix = prefix
        } else {
            self.prefix = bits
        }
        network = address
    }

    /// True when `address` (text, as a socket or a header gives it) is inside this network.
    package func contains(_ address: String) -> Bool {
        guard let bytes = Self.bytes(address), bytes.count == network.count else { return false }
        var remaining = prefix
        for (a, b) in zip(bytes, network) where remaining > 0 {
            let mask: UInt8 = remaining >= 8 ? 0xFF : ~(0xFF >> UInt8(remaining))
            if a & mask != b & mask { return false }
            remaining -= 8
        }
        return true
    }

    /// The address's bytes (4 or 16), nil when it is not an IP address.
    package static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    /// The key a client counts under in per-address limits: an IPv4 address as it is (also
    /// when written IPv4-mapped), an IPv6 address by its /64 (one customer's network: a host
    /// picks any address in it); nil when `text` is no IP address.
    package static func clientKey(_ text: String) -> String? {
        guard let bytes = bytes(text) else { return nil }
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            return bytes[12...].map(String.init).joined(separator: ".")
        }
        return stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
            .joined(separator: ":") + "::/64"
    }
}
