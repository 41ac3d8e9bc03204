import Foundation
import Hummingbird
import Logging
import NIOCore
import AmoSyncCore

/// Request context that keeps the channel, so the fake can drop a connection.
package struct FakeContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    let channel: any Channel

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    package var maxUploadSize: Int { 16 << 20 }
}

/// The fake amoCRM as a real HTTP server on loopback (`amosync fake-amocrm`, tests, sandbox).
package struct FakeAmoServer: HTTPResponder {
    package typealias Context = FakeContext
    let state: FakeAmoState

    init(state: FakeAmoState) { self.state = state }

    package func respond(to request: Request, context: FakeContext) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 16 << 20)
        var query: [String: String] = [:]
        // A repeated key (`filter[id][]=1&filter[id][]=2`) is kept as a comma-separated list.
        // Hummingbird decodes the values but not the keys: `filter%5Bid%5D` is `filter[id]`.
        for (encoded, value) in request.uri.queryParameters {
            let key = String(encoded).removingPercentEncoding ?? String(encoded)
            query[key] = query[key].map { "\($0),\(value)" } ?? String(value)
        }
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        var fakeRequest = FakeRequest(
            method: request.method.rawValue, path: request.uri.path, query: query, headers: headers,
            body: Data(buffer: body))
        fakeRequest.arrivedAt = request.headers[ArrivalStamp.header].flatMap(Double.init)
        fakeRequest.target = request.uri.description
        let answer = await state.handle(fakeRequest)
        let latency = await state.faults.latencyMs
        if latency > 0, !fakeRequest.path.hasPrefix("/__fake") { try await Task.sleep(for: .milliseconds(latency)) }
        if answer.dropConnection {
            context.channel.close(promise: nil)
            throw CancellationError()
        }
        var response = Response(status: .init(code: answer.status), body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
        if !answer.body.isEmpty { response.headers[.contentType] = answer.contentType }
        if let location = answer.location { response.headers[.location] = location }
        response.headers[.init("X-Request-Id")!] = UUID().uuidString.lowercased()
        return response
    }

    /// A Hummingbird application serving the fake; `onRunning` receives the bound port.
    package static func application(
        state: FakeAmoState, host: String = "127.0.0.1", port: Int,
        logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    )
        -> some ApplicationProtocol
    {
        Application(
            responder: FakeAmoServer(state: state),
            server: .http1(configuration: .init(additionalChannelHandlers: [ArrivalStamp()])),
            configuration: .init(address: .hostname(host, port: port), serverName: "fake-amocrm"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}
