import Foundation
@testable import AmoCRMFake
@testable import AmoSyncCore
@testable import AmoSyncServer

/// The fake amoCRM in this process, without a socket: each request goes straight to
/// `FakeAmoState.handle`, shaped as `FakeAmoServer` shapes what arrives over HTTP (the path,
/// query keys decoded and repeated keys joined with commas, headers, body, the request target
/// as sent). What only a socket can do is done here too: a dropped connection is a lost answer,
/// an answer over the size limit is refused, the fake's latency is waited on the clock.
final class FakeTransport: HTTPTransport {
    let state: FakeAmoState
    let clock: any TimeSource
    let maxResponseBytes: Int

    init(state: FakeAmoState, clock: any TimeSource = SystemTime(), maxResponseBytes: Int = URLSessionTransport.defaultMaxResponseBytes) {
        self.state = state
        self.clock = clock
        self.maxResponseBytes = maxResponseBytes
    }

    func send(_ request: OutgoingRequest) async throws -> IncomingResponse {
        try Task.checkCancellation()
        guard let components = URLComponents(url: request.url, resolvingAgainstBaseURL: false) else {
            throw TransportError(timedOut: false, message: "not a URL: \(request.url)", sent: false)
        }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            query[item.name] = query[item.name].map { "\($0),\(value)" } ?? value
        }
        var fakeRequest = FakeRequest(
            method: request.method, path: components.path, query: query, headers: request.headers, body: request.body ?? Data())
        fakeRequest.target = components.percentEncodedPath + (components.percentEncodedQuery.map { "?\($0)" } ?? "")
        request.sendStamp?.mark(at: clock.now)
        let answer = await state.handle(fakeRequest)
        let latency = await state.faults.latencyMs
        if latency > 0, !fakeRequest.path.hasPrefix("/__fake") { try await clock.sleep(for: .milliseconds(latency)) }
        if answer.dropConnection { throw TransportError(timedOut: false, message: "the server closed the connection") }
        if answer.body.count > maxResponseBytes { throw TransportError.tooLarge(limit: maxResponseBytes) }
        var headers = ["X-Request-Id": UUID().uuidString.lowercased()]
        if !answer.body.isEmpty { headers["Content-Type"] = answer.contentType }
        if let location = answer.location { headers["Location"] = location }
        return IncomingResponse(status: answer.status, headers: headers, body: answer.body)
    }
}
