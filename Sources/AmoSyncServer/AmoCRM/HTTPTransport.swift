import AmoSyncCore
import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// An outgoing HTTP request, independent of the library that sends it.
package struct OutgoingRequest: Sendable {
    var method: String
    var url: URL
    var headers: [String: String]
    var body: Data?
    var timeout: TimeInterval
    /// Marked right before the request is handed to the network (the rate limiter's send time).
    var sendStamp: SendStamp?

    init(method: String, url: URL, headers: [String: String] = [:], body: Data? = nil, timeout: TimeInterval = 20) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// What came back.
package struct IncomingResponse: Sendable {
    var status: Int
    var headers: [String: String]
    var body: Data

    init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    func header(_ name: String) -> String? {
        headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// The seam between `AmoClient` and the network: tests and benchmarks can swap it.
package protocol HTTPTransport: Sendable {
    /// Sends a request. Throws `TransportError` when no response arrived.
    func send(_ request: OutgoingRequest) async throws -> IncomingResponse
}

/// No HTTP response: the outcome of a write is unknown.
struct TransportError: Error, Sendable, CustomStringConvertible {
    var timedOut: Bool
    var message: String
    var description: String { timedOut ? "timed out: \(message)" : "connection failed: \(message)" }
}

/// `URLSession` (libcurl on Linux) behind `HTTPTransport`. Redirects are not followed:
/// amoCRM does not redirect API calls, and a redirect is an answer worth seeing.
package final class URLSessionTransport: HTTPTransport {
    private let session: URLSession

    package init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 16
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        // Each request's own timeout (amocrm.timeout_seconds, up to 300 s) rules, not the
        // session's 60 s default.
        configuration.timeoutIntervalForRequest = 3600
        session = URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil)
    }

    /// Throws `CancellationError` when the calling task is cancelled (shutdown's grace ran
    /// out): that is no answer from amoCRM, and callers release the work instead of counting it.
    package func send(_ request: OutgoingRequest) async throws -> IncomingResponse {
        try Task.checkCancellation()
        var urlRequest = URLRequest(url: request.url, timeoutInterval: request.timeout)
        urlRequest.httpMethod = request.method
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        urlRequest.httpBody = request.body
        let once = ResumeOnce()
        let session = self.session
        let timeout = request.timeout
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<IncomingResponse, any Error>) in
                let task = session.dataTask(with: urlRequest) { data, response, error in
                    once.resume(continuation, Self.result(data: data, response: response, error: error))
                }
                once.setTask(task)
                request.sendStamp?.mark()
                task.resume()
                // A hard deadline: the request never outlives its timeout, whatever libcurl does
                // with a half-closed connection.
                Task {
                    try? await Task.sleep(for: .milliseconds(Int64((timeout + 1) * 1000)))
                    if once.resume(continuation, .failure(TransportError(timedOut: true, message: "no answer within \(Int(timeout)) s"))) {
                        task.cancel()
                    }
                }
            }
        } onCancel: {
            once.cancel()
        }
    }

    static func result(data: Data?, response: URLResponse?, error: (any Error)?) -> Result<IncomingResponse, any Error> {
        if let error {
            let code = (error as? URLError)?.code
            if code == .cancelled { return .failure(CancellationError()) }
            return .failure(TransportError(timedOut: code == .timedOut, message: error.localizedDescription))
        }
        guard let http = response as? HTTPURLResponse else {
            return .failure(TransportError(timedOut: false, message: "not an HTTP response"))
        }
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields { headers["\(key)"] = "\(value)" }
        return .success(IncomingResponse(status: http.statusCode, headers: headers, body: data ?? Data()))
    }
}

/// Resumes a continuation exactly once, from the answer, the deadline or cancellation.
final class ResumeOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false
    private var cancelled = false
    private var task: URLSessionDataTask?

    /// Keeps the task; one cancelled before it existed is cancelled at once.
    func setTask(_ task: URLSessionDataTask) {
        if lock.withLock({
            self.task = task; return cancelled
        }) {
            task.cancel()
        }
    }

    @discardableResult
    func resume(_ continuation: CheckedContinuation<IncomingResponse, any Error>, _ result: Result<IncomingResponse, any Error>) -> Bool {
        let first = lock.withLock { () -> Bool in
            if done { return false }
            done = true
            return true
        }
        if first { continuation.resume(with: result) }
        return first
    }

    func cancel() {
        lock.withLock {
            cancelled = true; return task
        }?.cancel()
    }
}

/// Hands 3xx answers back instead of following them.
final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}
