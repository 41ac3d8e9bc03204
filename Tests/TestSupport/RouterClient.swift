import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import Synchronization
@testable import AmoSyncServer

/// Sends requests straight to the intake router's responder: no socket and no HTTP client.
/// Each request is built as Hummingbird builds one from the wire (the head, the body in one
/// buffer with its `Content-Length`, a context on a testing channel), and errors the router
/// answers for become responses as they would on a connection.
struct RouterClient: Sendable {
    let responder: RouterResponder<IntakeContext>
    let logger: Logger

    init(_ router: Router<IntakeContext>, logger: Logger = quietLogger()) {
        responder = router.buildResponder()
        self.logger = logger
    }

    /// An answer as the client reads it.
    struct Answer: Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: ByteBuffer
    }

    /// Sends one request and hands the answer to `check`.
    @discardableResult
    func execute<Value>(
        uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: ByteBuffer? = nil,
        _ check: (Answer) async throws -> Value
    ) async throws -> Value {
        try await check(try await send(uri: uri, method: method, headers: headers, body: body))
    }

    func send(uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: ByteBuffer? = nil) async throws -> Answer {
        var headers = headers
        if let body { headers[.contentLength] = String(body.readableBytes) }
        let request = Request(
            head: HTTPRequest(method: method, scheme: "http", authority: "localhost", path: uri, headerFields: headers),
            body: RequestBody(buffer: body ?? ByteBuffer()))
        let context = IntakeContext(source: ApplicationRequestContextSource(channel: NIOAsyncTestingChannel(), logger: logger))
        let response: Response
        do {
            response = try await responder.respond(to: request, context: context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        let writer = CollectingWriter()
        try await response.body.write(writer)
        return Answer(status: response.status, headers: response.headers, body: writer.collected)
    }
}

/// Collects a response body.
private final class CollectingWriter: ResponseBodyWriter, Sendable {
    private let buffer = Mutex(ByteBuffer())

    var collected: ByteBuffer { buffer.withLock { $0 } }

    func write(_ part: ByteBuffer) async throws { buffer.withLock { $0.writeImmutableBuffer(part) } }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
