import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// An outgoing HTTP request, independent of the library that sends it.
public struct OutgoingRequest: Sendable {
    public var method: String
    public var url: URL
    public var headers: [String: String]
    public var body: Data?
    public var timeout: TimeInterval

    public init(method: String, url: URL, headers: [String: String] = [:], body: Data? = nil, timeout: TimeInterval = 20) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// What came back.
public struct IncomingResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// The seam between `AmoClient` and the network: tests and benchmarks can swap it.
public protocol HTTPTransport: Sendable {
    /// Sends a request. Throws `TransportError` when no response arrived.
    func send(_ request: OutgoingRequest) async throws -> IncomingResponse
}

/// No HTTP response: the outcome of a write is unknown.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public var timedOut: Bool
    public var message: String
    public var description: String { timedOut ? "timed out: \(message)" : "connection failed: \(message)" }
}

/// `URLSession` (libcurl on Linux) behind `HTTPTransport`. Redirects are not followed:
/// amoCRM does not redirect API calls, and a redirect is an answer worth seeing.
public final class URLSessionTransport: HTTPTransport {
    private let session: URLSession

    public init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 16
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        session = URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil)
    }

    public func send(_ request: OutgoingRequest) async throws -> IncomingResponse {
        var urlRequest = URLRequest(url: request.url, timeoutInterval: request.timeout)
        urlRequest.httpMethod = request.method
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        urlRequest.httpBody = request.body
        do {
            let session = self.session
            let prepared = urlRequest
            let (data, response) = try await Self.withDeadline(request.timeout + 1) { try await session.data(for: prepared) }
            guard let http = response as? HTTPURLResponse else { throw TransportError(timedOut: false, message: "not an HTTP response") }
            var headers: [String: String] = [:]
            for (key, value) in http.allHeaderFields { headers["\(key)"] = "\(value)" }
            return IncomingResponse(status: http.statusCode, headers: headers, body: data)
        } catch let error as URLError {
            throw TransportError(timedOut: error.code == .timedOut, message: error.localizedDescription)
        } catch let error as TransportError {
            throw error
        } catch is CancellationError where !Task.isCancelled {
            throw TransportError(timedOut: true, message: "no answer within \(Int(request.timeout)) s")
        } catch {
            throw TransportError(timedOut: false, message: "\(error)")
        }
    }
}

extension URLSessionTransport {
    /// Runs `work`, cancelling it after `seconds`: a request never hangs longer than its timeout,
    /// whatever the HTTP library does with a half-closed connection.
    static func withDeadline<T: Sendable>(_ seconds: Double, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else { throw CancellationError() }
            return value
        }
    }
}

/// Hands 3xx answers back instead of following them.
final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}
