import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import ServiceLifecycle
import NIOCore
import UnixSignals
import AmoSyncCore

/// The composition root: one place that wires store, client, worker and HTTP intake, used
/// by `serve`, `sandbox` and the end-to-end tests alike. Building opens the database and
/// creates objects; `run()` starts everything as services of one group.
package struct Daemon: Sendable {
    let config: Config
    let store: any Store
    let health: DeliveryHealth
    /// Whether this node delivers (always on SQLite; on PostgreSQL while it holds the lease).
    let leadership: Leadership
    package let client: AmoClient
    let tokens: any AccessTokenProvider
    let worker: DeliveryWorker
    /// Reads amoCRM's event log for stage changes no webhook brought.
    let events: EventPoller
    let metrics: DaemonMetrics
    /// The config in force (replaced by a reload).
    let rules: Live<Config>
    let reloading: ConfigReload
    let group: ServiceGroup

    /// Knobs for benchmarks and tests; the defaults are what `serve` runs.
    package struct Options: Sendable {
        /// Match contacts through the local index (false: a `query` search per customer).
        package var contactIndex = true
        /// Tries of a lone transient failure made in place (0: the batch fails at once, as before 0.7).
        package var transientRetries = 2
        /// How long (at most; `ContactIndex.headStartPages` pages end it sooner) an incomplete
        /// contact index's full sync runs at the full rate while batches wait for it, before they
        /// search and it slows to its share.
        package var indexHeadStart: Duration = .milliseconds(4500)
        /// Batches asking within this time share one index refresh.
        var indexReuseWindow: Duration = .milliseconds(800)
        /// Most intake jobs committed in one transaction (1: one commit per request).
        package var intakeBatchLimit = 512
        /// How long running batches may go on after shutdown began before they are cut off.
        var shutdownGrace: Duration = .seconds(7)
        /// The whole graceful shutdown; past it the group cancels every service (nil: no limit).
        package var shutdownLimit: Duration?
        /// After cancellation, how long until the process is stopped by force (a crash, so the
        /// exit status is not 0; nil: wait).
        package var cancellationLimit: Duration?
        /// While credentials are dead, how often the worker tries again (new tokens are picked up then).
        var authProbeInterval: Duration = .seconds(10)
        /// Compare the config with the account once at start and log what does not match.
        var checkAccountAtStart = true
        /// Where `reload()` and SIGHUP read the config again (nil: reload is unavailable).
        package var reloadConfig: (@Sendable () throws -> Config)?
        /// Services started first and stopped last with the daemon (the sandbox's fake amoCRM).
        package var companions: [any Service] = []
        /// A listening socket systemd passed (`amosync.socket`): intake runs on it instead of
        /// binding `server.host:port`.
        package var inheritedSocket: Int32?
        /// The daemon's one clock: everything that waits, expires or stamps time reads it.
        package var clock: any TimeSource = SystemTime()
        /// Receives the bound port of the `/metrics` listener (useful with port 0).
        var onMetricsListening: @Sendable (Int) async -> Void = { _ in }
        package init() {}
    }

    /// Builds the daemon. `onListening` receives the bound HTTP port (useful with port 0).
    package static func build(
        config: Config, logger: Logger, transport: any HTTPTransport = URLSessionTransport(),
        signals: [UnixSignal] = [.sigterm, .sigint], options: Options = Options(),
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws -> Daemon {
        let clock = options.clock
        let store = try await StoreOpener.open(config) { clock.date }
        // One node per account delivers (PostgreSQL); on SQLite this one is the only one, for good.
        let nodes = store as? any NodeStore
        let leadership = Leadership(alone: nodes == nil, clock: clock)
        let health = DeliveryHealth(store: store, clock: clock)
        let notifier = SystemdNotifier(clock: clock)
        let doorbell = Doorbell(clock: clock)
        let rules = Live(config)
        let metrics = DaemonMetrics()
        let account = AmoAccount(
            config: config, store: store, transport: transport, logger: logger, outageBase: min(1, config.worker.backoffBaseSeconds),
            onStateChange: { problem in
                if let problem { await health.credentialsFailed(problem) } else { await health.credentialsWork() }
            },
            observer: { endpoint, status, seconds in metrics.amoRequest(endpoint: endpoint, status: status, seconds: seconds) },
            // An API request leaves only while this node delivers (asked after the limiter's wait).
            transientRetries: options.transientRetries, clock: clock, sendGate: { leadership.isLeader })
        let (limiter, tokens, client) = (account.limiter, account.tokens, account.client)
        let index =
            options.contactIndex
            ? ContactIndex(
                store: store, client: client, countryCode: config.contacts.defaultCountryCode, logger: logger,
                reuseWindow: options.indexReuseWindow, clock: clock, refreshInterval: .seconds(config.contacts.indexRefreshSeconds),
                syncRate: config.contacts.indexSyncRequestsPerSecond, headStart: options.indexHeadStart, health: health)
            : nil
        var delivery = BatchDelivery(
            client: client, catalog: FieldCatalog(client: client, clock: clock), store: store, config: config,
            locks: ContactLocks(clock: clock), index: index, health: health, metrics: metrics, logger: logger, clock: clock)
        delivery.leadership = leadership
        let worker = DeliveryWorker(
            store: store, delivery: delivery, health: health, doorbell: doorbell, rules: rules,
            logger: logger, shutdownGrace: options.shutdownGrace, authProbeInterval: options.authProbeInterval,
            heartbeat: { notifier.heartbeat() }, clock: clock, leadership: leadership)
        let router = Router(context: IntakeContext.self)
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        let writer = IntakeWriter(store: store, maxBatch: options.intakeBatchLimit)
        let ipLimit = IPRateLimit()
        let makeIntake: @Sendable (Config) -> IntakeRoutes = { config in
            IntakeRoutes(
                config: config, writer: writer, store: store, health: health, doorbell: doorbell, logger: logger, ipLimit: ipLimit,
                clock: clock)
        }
        let intake = Live(makeIntake(config))
        IntakeRoutes.register(intake, on: router, logger: logger)
        var startup = StartupTasks(
            accountCheck: options.checkAccountAtStart ? AccountCheck(config: config, client: client) : nil,
            accountCheckDelay: index?.inBackground == true ? options.indexHeadStart : .zero, pendingExchange: nil, logger: logger,
            clock: clock, leadership: leadership)
        if let manager = tokens as? TokenManager {
            let oauth = OAuthRoutes(store: store, tokens: manager, referers: config.amocrm.referers, logger: logger, clock: clock)
            oauth.register(on: router)
            startup.pendingExchange = { oauth.exchangePending() }
        }
        let server = config.server
        let limits = ConnectionGuard.Limits(
            headerTimeout: .seconds(Int64(server.headerTimeoutSeconds)),
            bodyTimeout: .seconds(Int64(server.bodyTimeoutSeconds)),
            idleTimeout: .seconds(Int64(server.idleTimeoutSeconds)), maxConnections: server.maxConnections,
            maxPerAddress: server.maxConnectionsPerAddress, exempt: { rules.current.server.trustedProxies })
        let onServerRunning: @Sendable (any Channel) async -> Void = { channel in
            // The database is open and the port bound: tell systemd.
            notifier.notify("READY=1\nSTATUS=accepting orders and forms")
            await onListening(channel.localAddress?.port ?? config.server.port)
        }
        let channel = HTTP1Channel.Configuration(additionalChannelHandlers: [ConnectionGuard(limits: limits)])
        let intakeServer: any Service
        if let descriptor = options.inheritedSocket {
            intakeServer = InheritedSocketServer(
                descriptor: descriptor, responder: router.buildResponder(), configuration: channel, serverName: "amosync",
                onRunning: onServerRunning, logger: logger)
        } else {
            intakeServer = Application(
                router: router, server: .http1(configuration: channel),
                configuration: .init(address: .hostname(server.host, port: server.port), serverName: "amosync"),
                onServerRunning: onServerRunning, logger: logger)
        }
        // Started in this order, stopped in reverse: the reloader first (STOPPING=1), then HTTP
        // intake, the contact index's background sync, the worker, the start-up tasks, and last
        // the companions.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = options.companions.map { .init(service: $0) }
        if let nodes {
            // Stopped after the lanes: the lease is given up once they are done.
            let election = LeaderElection(
                store: nodes, leadership: leadership, lease: DeliveryLease.name(account: config.amocrm.apiBase),
                node: LeaderElection.nodeName, logger: logger, handover: config.amocrm.timeoutSeconds + 10)
            services.append(
                .init(service: Supervised(name: "delivery lease", service: election, health: health, logger: logger, clock: clock)))
        }
        services.append(.init(service: startup, successTerminationBehavior: .ignore))
        // Background work never ends the daemon: an error is logged, shown, and the work started again.
        services.append(.init(service: Supervised(name: "delivery worker", service: worker, health: health, logger: logger, clock: clock)))
        // The way back to the shop, when something is written back or amoCRM's webhook is taken:
        // its own lane of the queue, and the repair of missed webhooks.
        let poller = EventPoller(store: store, client: client, rules: rules, doorbell: doorbell, logger: logger, clock: clock)
        if config.usesShopLane {
            let shopWriter = StatusBackWorker(
                store: store, client: client, health: health, doorbell: doorbell, rules: rules, transport: transport, logger: logger,
                clock: clock, metrics: metrics, leadership: leadership)
            let scheduler = ReconcileScheduler(store: store, rules: rules, doorbell: doorbell, clock: clock, logger: logger)
            let background: [(String, any Service)] = [
                ("status_back writer", shopWriter), ("amoCRM event poll", LeaderOnly(service: poller, leadership: leadership)),
                ("reconcile schedule", LeaderOnly(service: scheduler, leadership: leadership)),
            ]
            for (name, service) in background {
                services.append(.init(service: Supervised(name: name, service: service, health: health, logger: logger, clock: clock)))
            }
        }
        if let index, index.inBackground {
            services.append(
                .init(
                    service: Supervised(
                        name: ContactIndex.serviceName,
                        service: LeaderOnly(service: ContactIndexKeeper(index: index), leadership: leadership),
                        health: health, logger: logger,
                        clock: clock)))
        }
        services.append(.init(service: Listener(server: intakeServer, port: server.port, setting: "server.port or --port")))
        if let listener = server.metrics {
            // Operators' numbers on their own listener (loopback by default), never on the intake port.
            let metricsRouter = Router()
            metricsRouter.get("/metrics") { _, _ in
                var response = Response(
                    status: .ok,
                    body: .init(
                        byteBuffer: ByteBuffer(
                            string: await metrics.render(
                                store: store, limiter: limiter, tokens: tokens, health: health, leadership: leadership))
                    ))
                response.headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
                return response
            }
            let metricsApp = Application(
                router: metricsRouter,
                configuration: .init(address: .hostname(listener.host, port: listener.port), serverName: "amosync"),
                onServerRunning: { channel in await options.onMetricsListening(channel.localAddress?.port ?? listener.port) },
                logger: logger)
            services.append(.init(service: Listener(server: metricsApp, port: listener.port, setting: "server.metrics")))
        }
        let reloading = ConfigReload(
            load: options.reloadConfig, rules: rules, intake: intake, makeIntake: makeIntake, worker: worker,
            notifier: notifier, logger: logger)
        services.append(.init(service: Reloader(reload: reloading, signals: [.sighup])))
        var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: signals, logger: logger)
        configuration.maximumGracefulShutdownDuration = options.shutdownLimit
        configuration.maximumCancellationDuration = options.cancellationLimit
        return Daemon(
            config: config, store: store, health: health, leadership: leadership, client: client, tokens: tokens, worker: worker,
            events: poller, metrics: metrics, rules: rules, reloading: reloading, group: ServiceGroup(configuration: configuration))
    }

    /// Runs until SIGTERM/SIGINT or `shutdown()`. A listener that cannot be opened stops the
    /// whole daemon with an error that names the setting to change.
    package func run() async throws {
        // A new process starts hopeful; the first request tells.
        for key in ["auth_problem", "account_problem", "background_problems"] { try? await store.setMeta(key, nil) }
        try await group.run()
    }

    /// Why the daemon could not run, for people.
    struct StartError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// Stops intake, then the worker, gracefully.
    package func shutdown() async { await group.triggerGracefulShutdown() }
}
