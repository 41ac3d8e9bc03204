import Foundation
import Synchronization
@testable import AmoSyncCore
@testable import AmoSyncServer

/// A real loopback transport that stands in for DNS: requests to `host` go to `target`
/// (scheme, address and port), and every host asked for is recorded, with whether the
/// body carried the client secret.
final class HostMapTransport: HTTPTransport {
    let routes: [String: URL]
    let secret: String
    private let seen = Mutex<[(host: String, carriedSecret: Bool)]>([])

    init(routes: [String: URL], secret: String) {
        self.routes = routes
        self.secret = secret
    }

    var requests: [(host: String, carriedSecret: Bool)] { seen.withLock { $0 } }

    func send(_ request: OutgoingRequest) async throws -> IncomingResponse {
        let host = request.url.host ?? ""
        let carried = request.body.map { String(decoding: $0, as: UTF8.self).contains(secret) } ?? false
        seen.withLock { $0.append((host, carried)) }
        var routed = request
        if let target = routes[host], var components = URLComponents(url: request.url, resolvingAgainstBaseURL: false) {
            components.scheme = target.scheme
            components.host = target.host
            components.port = target.port
            routed.url = components.url!
        }
        return try await URLSessionTransport().send(routed)
    }
}
