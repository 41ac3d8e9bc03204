import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// Hummingbird's HTTP/1 server on a socket someone else bound (systemd's `amosync.socket`):
/// the same channel, router and responses as `Application`, which can only bind a port itself.
/// On graceful shutdown it stops accepting and lets open requests finish; closing its copy of
/// the socket leaves systemd's open, so connections keep queueing for the next process.
struct InheritedSocketServer<Responder: HTTPResponder>: Service
where Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
    let descriptor: Int32
    let responder: Responder
    let configuration: HTTP1Channel.Configuration
    let serverName: String
    let onRunning: @Sendable (any Channel) async -> Void
    let logger: Logger

    func run() async throws {
        let (responder, serverName, logger) = (responder, serverName, logger)
        let http = HTTP1Channel(
            responder: { request, writer, channel in
                let context = Responder.Context(source: .init(channel: channel, logger: logger))
                var response: Response
                do { response = try await responder.respond(to: request, context: context) } catch let error as HTTPParserError {
                    throw error
                } catch {
                    response = Response(status: .internalServerError)
                }
                response.headers[.date] = HTTPDate.now
                response.headers[.server] = serverName
                try await writer.write(response: response.head, body: response.body)
            },
            configuration: configuration)
        let group = MultiThreadedEventLoopGroup.singleton
        let quiescing = ServerQuiescingHelper(group: group)
        let server = try await ServerBootstrap(group: group)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .bind(descriptor, serverBackPressureStrategy: nil) { (channel: any Channel) -> EventLoopFuture<HTTP1Channel.Value> in
                http.setup(channel: channel, logger: logger)
            }
        await onRunning(server.channel)
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { tasks in
                do {
                    try await server.executeThenClose { inbound in
                        for try await child in inbound { tasks.addTask { await http.handle(value: child, logger: logger) } }
                    }
                } catch {
                    logger.error("intake socket failed", metadata: ["error": "\(error)"])
                }
            }
        } onGracefulShutdown: {
            quiescing.initiateShutdown(promise: nil)
        }
    }
}
