import AmoSyncCore
import Foundation
import Synchronization
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

/// No HTTP response (or none that could be used): the outcome of a write is unknown unless
/// the request never left (`sent` false: the connection could not be made).
struct TransportError: Error, Sendable, CustomStringConvertible {
    var timedOut: Bool
    var message: String
    /// False when the request certainly did not reach the server (no connection was made).
    var sent = true

    var description: String { timedOut ? "timed out: \(message)" : "connection failed: \(message)" }

    static func tooLarge(limit: Int) -> TransportError {
        TransportError(timedOut: false, message: "the answer is larger than \(limit / 1_048_576) MB; it was not read")
    }
}

/// `URLSession` (libcurl on Linux) behind `HTTPTransport`. Redirects are not followed:
/// amoCRM does not redirect API calls, and a redirect is an answer worth seeing. An answer is
/// read as it arrives and cut off past `maxResponseBytes` (16 MB): whatever sits at the
/// account's address cannot take the daemon's memory.
package final class URLSessionTransport: HTTPTransport {
    /// The largest answer read; a larger one fails its request (`TransportError.tooLarge`).
    package static let defaultMaxResponseBytes = 16 << 20
    private let session: URLSession
    private let tasks: TaskDelegate
    /// Stamps when a request leaves, and runs its deadline.
    let clock: any TimeSource

    package init(maxResponseBytes: Int = defaultMaxResponseBytes, clock: any TimeSource = SystemTime()) {
        self.clock = clock
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 16
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        // Each request's own timeout (amocrm.timeout_seconds, up to 300 s) rules, not the
        // session's 60 s default.
        configuration.timeoutIntervalForRequest = 3600
        tasks = TaskDelegate(maxResponseBytes: maxResponseBytes)
        session = URLSession(configuration: configuration, delegate: tasks, delegateQueue: nil)
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
        let (session, tasks, clock) = (session, tasks, clock)
        let timeout = request.timeout
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<IncomingResponse, any Error>) in
                let task = session.dataTask(with: urlRequest)
                // A hard deadline: the request never outlives its timeout, whatever libcurl does
                // with a half-closed connection. Cancelled as soon as the answer comes.
                // Unstructured: it must run while this task waits in the continuation.
                let deadline = Task {
                    guard (try? await clock.sleep(for: .milliseconds(Int64((timeout + 1) * 1000)))) != nil else { return }
                    if once.resume(continuation, .failure(TransportError(timedOut: true, message: "no answer within \(Int(timeout)) s"))) {
                        task.cancel()
                    }
                }
                tasks.start(task.taskIdentifier) { result in
                    deadline.cancel()
                    once.resume(continuation, result)
                }
                once.setTask(task)
                request.sendStamp?.mark(at: clock.now)
                task.resume()
            }
        } onCancel: {
            once.cancel()
        }
    }
}

/// The session's delegate: collects each task's answer as it arrives (up to the limit),
/// refuses redirects, and reports the end of each task once.
final class TaskDelegate: NSObject, URLSessionDataDelegate, Sendable {
    private struct Running {
        var finish: @Sendable (Result<IncomingResponse, any Error>) -> Void
        var data = Data()
        var tooLarge = false
    }
    private let running = Mutex<[Int: Running]>([:])
    let maxResponseBytes: Int

    init(maxResponseBytes: Int) { self.maxResponseBytes = maxResponseBytes }

    func start(_ id: Int, finish: @escaping @Sendable (Result<IncomingResponse, any Error>) -> Void) {
        running.withLock { $0[id] = Running(finish: finish) }
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void
    ) {
        if response.expectedContentLength > Int64(maxResponseBytes) {
            running.withLock { $0[dataTask.taskIdentifier]?.tooLarge = true }
            completionHandler(.cancel)
            return
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        // Changed in place in the table: a copy of the entry held meanwhile would make every
        // append copy the whole answer so far.
        let id = dataTask.taskIdentifier
        let over = running.withLock { running -> Bool in
            guard running[id]?.tooLarge == false, let received = running[id]?.data.count else { return false }
            if received + data.count > maxResponseBytes {
                running[id]?.tooLarge = true
                running[id]?.data = Data()
                return true
            }
            running[id]?.data.append(data)
            return false
        }
        if over { dataTask.cancel() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        guard let state = running.withLock({ $0.removeValue(forKey: task.taskIdentifier) }) else { return }
        if state.tooLarge {
            state.finish(.failure(TransportError.tooLarge(limit: maxResponseBytes)))
        } else {
            state.finish(Self.result(data: state.data, response: task.response, error: error))
        }
    }

    /// Hands 3xx answers back instead of following them.
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }

    static func result(data: Data?, response: URLResponse?, error: (any Error)?) -> Result<IncomingResponse, any Error> {
        if let error {
            let code = (error as? URLError)?.code
            if code == .cancelled { return .failure(CancellationError()) }
            // No connection was made: the request certainly did not arrive.
            let unsent: Set<URLError.Code?> = [.cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet]
            return .failure(TransportError(timedOut: code == .timedOut, message: error.localizedDescription, sent: !unsent.contains(code)))
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
