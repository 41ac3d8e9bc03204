import AmoAPI
import Foundation
import Logging
import AmoSyncCore

/// The amoCRM API v4 client: sends an `Endpoint` (`AmoAPI`) through the one rate limiter with
/// a bearer token (renewed once on 401), reads its typed answer, and classifies every failure
/// into `AmoError` once.
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

    /// The longest request target (path and query) sent: amoCRM's front end refuses longer ones.
    static let maxRequestTarget = 8000

    /// Sends one request and reads its answer; throws `AmoError`. A failure that proves the
    /// request was not applied — or of a request that does the same when repeated — is tried
    /// again in place, `transientRetries` times, 0.5 s then 1 s later: one failed request in ten
    /// must not send a whole batch into back-off. A write that may have been applied (a 5xx, an
    /// unreadable answer, no answer) is never repeated here: its step looks first.
    package func send<Response>(_ endpoint: Endpoint<Response>) async throws -> Response {
        var failures = 0
        while true {
            do {
                return try await sendOnce(endpoint)
            } catch let error as AmoError where error.kind == .transient && failures < transientRetries {
                failures += 1
                logger.debug("amoCRM request failed, trying it again", metadata: ["amo.request": "\(error.request)", "error": "\(error)"])
                try await limiter.clock.sleep(until: limiter.clock.now + .milliseconds(250 << failures))
            }
        }
    }

    private func sendOnce<Response>(_ endpoint: Endpoint<Response>) async throws -> Response {
        var token = try await tokens.accessToken()
        var response = try await perform(endpoint, token: token)
        if response.status == 401 {
            logger.info("amoCRM answered 401, renewing the token once", metadata: ["amo.request": "\(endpoint.label)"])
            token = try await tokens.renew(after: token)
            response = try await perform(endpoint, token: token)
        }
        try classify(response, endpoint: endpoint)
        // A 2xx whose body does not read (not JSON, or not what the endpoint answers) does not
        // prove the request failed: a write is "maybe applied", never repeated blindly.
        let answer: Response
        do { answer = try endpoint.read(response.status, response.body) } catch {
            throw AmoError(
                kind: endpoint.isIdempotent ? .transient : .unknownOutcome, request: endpoint.label, status: response.status, title: nil,
                detail: "the answer does not fit the request (\(Self.describe(error))): \(Self.preview(response.body))",
                amoRequestID: response.header("X-Request-Id"))
        }
        await limiter.succeeded()
        return answer
    }

    private func perform<Response>(_ endpoint: Endpoint<Response>, token: String) async throws -> IncomingResponse {
        var components = URLComponents(string: (await tokens.accountBase() ?? baseURL) + endpoint.path)!
        if !endpoint.query.isEmpty { components.queryItems = endpoint.query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        let target = components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
        guard target.utf8.count <= Self.maxRequestTarget else {
            // amoCRM's front end refuses a longer request line (414): not sent at all.
            throw AmoError(
                kind: .rejected, request: endpoint.label, status: 414, title: nil,
                detail: "the request would be \(target.utf8.count) bytes long; amoCRM takes \(Self.maxRequestTarget)")
        }
        var headers = ["Authorization": "Bearer \(token)", "Accept": "application/json", "User-Agent": "amosync/\(AmoSync.version)"]
        if endpoint.body != nil { headers["Content-Type"] = "application/json" }
        var request = OutgoingRequest(
            method: endpoint.method.rawValue, url: components.url!, headers: headers, body: endpoint.body, timeout: timeout)
        // The duration metric starts when the request leaves, not when it queued for a slot.
        let sent = SendStamp()
        request.sendStamp = sent
        let clock = limiter.clock
        let elapsed = { sent.sent.map { (clock.now - $0).seconds } ?? 0 }
        do {
            let response = try await limiter.perform(request, on: transport)
            observer?(endpoint.template, response.status, elapsed())
            return response
        } catch let error as TransportError {
            observer?(endpoint.template, 0, elapsed())
            // A write that got no answer may have been applied (unless it never left); a read
            // can simply be repeated.
            throw AmoError(
                kind: endpoint.isIdempotent || !error.sent ? .transient : .unknownOutcome, request: endpoint.label, status: nil,
                title: nil, detail: error.description)
        }
    }

    /// Throws the `AmoError` for a failed answer; returns for a 2xx (its body is read once, by
    /// the endpoint).
    private func classify<Response>(_ response: IncomingResponse, endpoint: Endpoint<Response>) throws {
        if (200..<300).contains(response.status) { return }
        let requestID = response.header("X-Request-Id")
        let label = endpoint.label
        let problem = response.body.isEmpty ? nil : try? AmoJSON.decode(Problem.self, from: response.body)
        switch response.status {
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
        case 403 where problem == nil:
            throw AmoError(
                kind: .throttled, request: label, status: 403, title: "Forbidden",
                detail: "blocked by amoCRM (HTML 403: IP block after too many requests)", amoRequestID: requestID)
        case 401:
            throw AmoError(
                kind: .unauthorized, request: label, status: 401, title: problem?.title,
                detail: problem?.detail ?? "unauthorized after renewing the token", amoRequestID: requestID)
        case 402, 403:
            throw AmoError(
                kind: .accountUnavailable, request: label, status: response.status, title: problem?.title,
                detail: problem?.detail
                    ?? (response.status == 402
                        ? "the account is not paid (HTTP 402): delivery resumes once it is"
                        : "access to the account is forbidden (HTTP 403): check the account's IP whitelist and the integration"),
                amoRequestID: requestID)
        case 500...:
            // A 5xx does not prove the request failed (amoCRM has answered 500 after saving): a
            // write is "maybe applied", never repeated blindly.
            throw AmoError(
                kind: endpoint.isIdempotent ? .transient : .unknownOutcome, request: label, status: response.status, title: problem?.title,
                detail: problem?.detail ?? "server error", amoRequestID: requestID)
        default:
            throw AmoError(
                kind: .rejected, request: label, status: response.status, title: problem?.title,
                detail: problem?.detail ?? Self.preview(response.body),
                validationErrors: (problem?.validationErrors ?? []).flatMap { group in
                    group.errors.map { AmoValidationError(requestID: group.requestID, error: $0) }
                }, amoRequestID: requestID)
        }
    }

    /// The start of an answer that is not what was expected, printable.
    static func preview(_ body: Data) -> String {
        RefererPolicy.printable(String(decoding: body.prefix(120), as: UTF8.self))
    }

    static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted = error { return "not JSON" }
        if case DecodingError.keyNotFound(let key, _) = error { return "\(key.stringValue) is missing" }
        if case DecodingError.typeMismatch(_, let context) = error {
            return "\(context.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type"
        }
        if case DecodingError.valueNotFound(_, let context) = error {
            return "\(context.codingPath.map(\.stringValue).joined(separator: ".")) is null"
        }
        return "\(type(of: error))"
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    var milliseconds: Int { Int((seconds * 1000).rounded()) }
}
