import Foundation
import Logging
import AmoSyncCore

/// A decoded amoCRM answer.
struct AmoResponse: Sendable {
    var status: Int
    /// nil for 204 (nothing found) and empty bodies.
    var json: JSONValue?
    var requestID: String?
}

/// The amoCRM API v4 client: every request goes through the one rate limiter, carries a
/// bearer token (renewed once on 401), and failures are classified into `AmoError`.
package final class AmoClient: Sendable {
    let baseURL: String
    let transport: any HTTPTransport
    let limiter: RateLimiter
    let tokens: any AccessTokenProvider
    let timeout: TimeInterval
    let logger: Logger
    let observer: (@Sendable (_ endpoint: String, _ status: Int, _ seconds: Double) -> Void)?
    /// Tries of a transient failure made in place before it fails the batch (0: none, as before 0.7).
    let transientRetries: Int

    package init(
        baseURL: String, transport: any HTTPTransport, limiter: RateLimiter, tokens: any AccessTokenProvider,
        timeout: TimeInterval, logger: Logger,
        observer: (@Sendable (_ endpoint: String, _ status: Int, _ seconds: Double) -> Void)? = nil, transientRetries: Int = 2
    ) {
        self.transientRetries = transientRetries
        self.baseURL = baseURL
        self.transport = transport
        self.limiter = limiter
        self.tokens = tokens
        self.timeout = timeout
        self.logger = logger
        self.observer = observer
    }

    /// Sends one request; throws `AmoError`. A lone 5xx (or a read that got no answer) is
    /// tried again in place, `transientRetries` times, 0.5 s then 1 s later: one failed request
    /// in ten must not send a whole batch into retry backoff and pause all delivery. Failures
    /// that go on are thrown, and the batch then backs off (`RateLimiter.backOff`).
    func send(_ method: String, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil) async throws -> AmoResponse {
        var failures = 0
        while true {
            do {
                return try await sendOnce(method, path, query: query, body: body)
            } catch let error as AmoError where error.kind == .transient && failures < transientRetries {
                failures += 1
                logger.debug("amoCRM request failed, trying it again", metadata: ["amo.request": "\(error.request)", "error": "\(error)"])
                try await limiter.clock.sleep(until: limiter.clock.now + .milliseconds(250 << failures))
            }
        }
    }

    private func sendOnce(_ method: String, _ path: String, query: [(String, String)], body: JSONValue?) async throws -> AmoResponse {
        let label = "\(method) \(path)"
        var token = try await tokens.accessToken()
        var response = try await perform(method, path, query: query, body: body, token: token, label: label)
        if response.status == 401 {
            logger.info("amoCRM answered 401, renewing the token once", metadata: ["amo.request": "\(label)"])
            token = try await tokens.renew(after: token)
            response = try await perform(method, path, query: query, body: body, token: token, label: label)
        }
        return try await classify(response, label: label)
    }

    private func perform(
        _ method: String, _ path: String, query: [(String, String)], body: JSONValue?, token: String, label: String
    ) async throws -> IncomingResponse {
        var components = URLComponents(string: (await tokens.accountBase() ?? baseURL) + path)!
        if !query.isEmpty { components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        var headers = ["Authorization": "Bearer \(token)", "Accept": "application/json", "User-Agent": "amosync/\(AmoSync.version)"]
        if body != nil { headers["Content-Type"] = "application/json" }
        let target = (components.percentEncodedPath) + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
        guard target.utf8.count <= Self.maxRequestTarget else {
            // amoCRM's front end refuses a longer request line (414): not sent at all.
            throw AmoError(
                kind: .rejected, request: label, status: 414, title: nil,
                detail: "the request would be \(target.utf8.count) bytes long; amoCRM takes \(Self.maxRequestTarget)")
        }
        var request = OutgoingRequest(method: method, url: components.url!, headers: headers, body: body?.canonicalData, timeout: timeout)
        // The duration metric starts when the request leaves, not when it queued for a slot.
        let sent = SendStamp()
        request.sendStamp = sent
        let elapsed = { sent.sent.map { (ContinuousClock.now - $0).seconds } ?? 0 }
        do {
            let response = try await limiter.perform(request, on: transport)
            observer?(Self.endpoint(path), response.status, elapsed())
            return response
        } catch let error as TransportError {
            observer?(Self.endpoint(path), 0, elapsed())
            // A write that got no answer may have been applied (unless it never left); a read
            // can simply be repeated.
            throw AmoError(
                kind: Self.isIdempotent(method) || !error.sent ? .transient : .unknownOutcome, request: label, status: nil, title: nil,
                detail: error.description)
        }
    }

    /// The longest request target (path and query) sent: amoCRM's front end refuses longer ones.
    static let maxRequestTarget = 8000

    /// Requests that do the same when repeated: a failure of theirs can be retried in place.
    /// A POST whose answer does not prove it failed may have created something: its step looks
    /// before creating again.
    static func isIdempotent(_ method: String) -> Bool { method == "GET" || method == "PATCH" }

    /// `/api/v4/leads/123/notes` → `/api/v4/leads/{id}/notes` (bounded metric labels).
    static func endpoint(_ path: String) -> String { AmoEndpoint.name(path) }

    private func classify(_ response: IncomingResponse, label: String) async throws -> AmoResponse {
        let requestID = response.header("X-Request-Id")
        let json = response.body.isEmpty ? nil : try? JSONValue.parse(response.body)
        let method = String(label.prefix { $0 != " " })
        // An answer that does not prove the request failed (5xx, an unreadable 2xx) leaves a write
        // "maybe applied": never repeated blindly.
        let maybeApplied: AmoError.Kind = Self.isIdempotent(method) ? .transient : .unknownOutcome
        switch response.status {
        case 200..<300:
            if response.status != 204, !response.body.isEmpty, json == nil {
                throw AmoError(
                    kind: maybeApplied, request: label, status: response.status, title: nil,
                    detail: "the answer is not JSON (\(Self.preview(response.body)))", amoRequestID: requestID)
            }
            await limiter.succeeded()
            return AmoResponse(status: response.status, json: json, requestID: requestID)
        case 300..<400:
            // A redirect is never followed (the token would go with it) and means the request
            // was not handled here: tried again later.
            throw AmoError(
                kind: .transient, request: label, status: response.status, title: nil,
                detail: "amoCRM answered a redirect\(response.header("Location").map { " to \(RefererPolicy.printable($0))" } ?? ""); "
                    + "not followed, tried again later", amoRequestID: requestID)
        case 429:
            throw AmoError(
                kind: .throttled, request: label, status: 429, title: "Too Many Requests",
                detail: "rate limit exceeded", amoRequestID: requestID)
        case 403 where json == nil:
            throw AmoError(
                kind: .throttled, request: label, status: 403, title: "Forbidden",
                detail: "blocked by amoCRM (HTML 403: IP block after too many requests)", amoRequestID: requestID)
        case 401:
            throw AmoError(
                kind: .unauthorized, request: label, status: 401, title: json?["title"]?.stringValue,
                detail: json?["detail"]?.stringValue ?? "unauthorized after renewing the token", amoRequestID: requestID)
        case 402, 403:
            throw AmoError(
                kind: .accountUnavailable, request: label, status: response.status, title: json?["title"]?.stringValue,
                detail: json?["detail"]?.stringValue
                    ?? (response.status == 402
                        ? "the account is not paid (HTTP 402): delivery resumes once it is"
                        : "access to the account is forbidden (HTTP 403): check the account's IP whitelist and the integration"),
                amoRequestID: requestID)
        case 500...:
            throw AmoError(
                kind: maybeApplied, request: label, status: response.status, title: json?["title"]?.stringValue,
                detail: json?["detail"]?.stringValue ?? "server error", amoRequestID: requestID)
        default:
            throw AmoError(
                kind: .rejected, request: label, status: response.status, title: json?["title"]?.stringValue,
                detail: json?["detail"]?.stringValue ?? Self.preview(response.body),
                validationErrors: Self.validationErrors(json), amoRequestID: requestID)
        }
    }

    /// The start of an answer that is not what was expected, printable.
    static func preview(_ body: Data) -> String {
        RefererPolicy.printable(String(decoding: body.prefix(120), as: UTF8.self))
    }

    static func validationErrors(_ json: JSONValue?) -> [AmoValidationError] {
        guard let groups = json?["validation-errors"]?.arrayValue else { return [] }
        return groups.flatMap { group -> [AmoValidationError] in
            let requestID = group["request_id"]?.textValue
            return (group["errors"]?.arrayValue ?? []).map { error in
                AmoValidationError(
                    requestID: requestID, code: error["code"]?.textValue ?? "", path: error["path"]?.textValue ?? "",
                    detail: error["detail"]?.textValue ?? "")
            }
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    var milliseconds: Int { Int((seconds * 1000).rounded()) }
}
