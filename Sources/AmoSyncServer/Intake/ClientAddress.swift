import Hummingbird
import NIOCore
import AmoSyncCore

/// Who sent a request: the socket peer; when that is one of `server.trusted_proxies`, the
/// client that proxy names — the rightmost `X-Forwarded-For` address that is not a trusted
/// proxy itself (addresses further left are the client's own claims), else `X-Real-IP`.
struct ClientAddress {
    let address: String

    init(_ request: Request, peer: SocketAddress?, trustedProxies: [CIDR]) {
        let peerHost = peer?.ipAddress ?? "unknown"
        func trusted(_ address: String) -> Bool { trustedProxies.contains { $0.contains(address) } }
        guard trusted(peerHost) else {
            address = peerHost
            return
        }
        let forwarded = request.headers[values: .init("X-Forwarded-For")!].flatMap { $0.split(separator: ",") }.map { $0.trimmed }
        if let client = forwarded.reversed().first(where: { !trusted($0) }) {
            address = CIDR.bytes(client) != nil ? client : peerHost
        } else if let real = request.headers[.init("X-Real-IP")!]?.trimmed, CIDR.bytes(real) != nil {
            address = real
        } else {
            address = peerHost
        }
    }

    /// The client's key in per-address limits (an IPv6 client by its /64).
    var key: String { CIDR.clientKey(address) ?? address }
}

extension SocketAddress {
    /// The peer's IP address as text; nil for a Unix socket.
    var ipAddress: String? {
        switch self {
        case .v4(let address): address.host
        case .v6(let address): address.host
        default: nil
        }
    }
}
