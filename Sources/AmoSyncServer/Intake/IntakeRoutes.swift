import Foundation
import Hummingbird
import HTTPTypes
import Logging
import NIOCore
import AmoSyncCore

/// The HTTP intake (README, "Intake API"): decode, authenticate, map, store, answer — 2xx only
/// after the job is committed.
struct IntakeRoutes: Sendable {
    let config: Config
    let mapper: Mapper
    let writer: IntakeWriter
    let store: any MetaStore
    let health: DeliveryHealth
    let doorbell: Doorbell
    let logger: Logger
    let tokens: [[UInt8]]
    /// Shared by every version of the rules: a reload does not reset the per-IP counts.
    let ipLimit: IPRateLimit
    let clock: any TimeSource

    init(
        config: Config, writer: IntakeWriter, store: any MetaStore, health: DeliveryHealth, doorbell: Doorbell, logger: Logger,
        ipLimit: IPRateLimit = IPRateLimit(), clock: any TimeSource = SystemTime()
    ) {
        self.clock = clock
        self.ipLimit = ipLimit
        self.config = config
        self.mapper = Mapper(config: config)
        self.writer = writer
        self.store = store
        self.health = health
        self.doorbell = doorbell
        self.logger = logger
        self.tokens = config.intakeTokens.map { Array($0.utf8) }
    }

    /// Routes every request to the rules current when it arrives (`live`, replaced by a reload),
    /// taken once per request by `RulesMiddleware`. Checks that come before the body is read
    /// are middleware: bearer auth, the form gate (unknown form, auth, per-address limit),
    /// CORS, the body limit; an error a handler throws is an `IntakeError` (an
    /// `HTTPResponseError`), anything else a logged 500.
    static func register(_ live: Live<IntakeRoutes>, on router: Router<IntakeContext>, logger: Logger) {
        router.add(middleware: UnexpectedErrorMiddleware(logger: logger))
        router.add(middleware: RulesMiddleware(live: live))
        let v1 = router.group("/v1")
        v1.group("orders")
            .add(middleware: BearerAuthMiddleware())
            .add(middleware: BodyLimitMiddleware())
            .post { request, context in try await context.rules.order(request) }
        v1.group("contacts")
            .add(middleware: BearerAuthMiddleware())
            .add(middleware: BodyLimitMiddleware())
            .post { request, context in try await context.rules.contact(request) }
        v1.group("hooks/:source")
            .add(middleware: BodyLimitMiddleware())
            .post { request, context in try await context.rules.hook(request, source: context.parameters.get("source") ?? "") }
        v1.group("amocrm/events/:key")
            .add(middleware: BodyLimitMiddleware())
            .post { request, context in try await context.rules.amoEvents(request, key: context.parameters.get("key") ?? "") }
        v1.group("forms/:form")
            .add(middleware: CORSMiddleware())
            .add(middleware: FormGateMiddleware())
            .add(middleware: BodyLimitMiddleware())
            .post { request, context in
                let client = ClientAddress(request, peer: context.remoteAddress, trustedProxies: context.rules.config.server.trustedProxies)
                return try await context.rules.form(request, name: context.parameters.get("form") ?? "", ip: client.address)
            }
            // Answered by CORSMiddleware.
            .on("", method: .options) { _, _ in Response(status: .noContent) }
        router.get("/healthz") { _, _ in Response.json(.ok, ["status": "ok"]) }
        router.get("/readyz") { _, context in await context.rules.readiness() }
    }

    /// Reads the body within `max_body_bytes` and decodes it by Content-Type.
    func body(_ request: Request, allowed: [String]) async throws -> JSONValue {
        let contentType = request.headers[.contentType]
        guard let kind = BodyDecoder.kind(of: contentType),
            allowed.contains(where: { contentType?.lowercased().hasPrefix($0) ?? false })
        else {
            throw IntakeError.unsupported(contentType, allowed: allowed)
        }
        return try IntakeError.decoding(try await rawBody(request), as: kind)
    }

    /// The body as sent, within `max_body_bytes` (413 without reading the rest; a declared
    /// length above it was refused by `BodyLimitMiddleware`).
    func rawBody(_ request: Request) async throws -> Data {
        let limit = config.server.maxBodyBytes
        do { return Data(buffer: try await request.body.collect(upTo: limit)) } catch is NIOTooManyBytesError {
            throw IntakeError.tooLarge(limit)
        } catch {
            // Broken chunking, a body shorter than Content-Length, a closed connection: the
            // client's fault, answered 400 (if the connection still takes an answer).
            throw IntakeError.malformed("the request body could not be read (\(type(of: error))); nothing was stored")
        }
    }

    func store(_ job: NewJob) async throws -> EnqueueResult {
        let result: EnqueueResult
        do { result = try await writer.submit(job) } catch {
            logger.error("could not store a job", metadata: ["error": "\(error)"])
            throw IntakeError.storage(error)
        }
        if !result.duplicate, result.state == .queued { doorbell.ring() }
        logger.info(
            result.duplicate ? "duplicate ignored" : result.state == .skipped ? "job stored as skipped" : "job queued",
            metadata: [
                "job.id": "\(result.jobID)", "job.kind": "\(result.kind.rawValue)", "job.source": "\(job.mapped.source)",
                "job.external_id": "\(job.mapped.externalID)",
            ])
        return result
    }

    static func accepted(_ result: EnqueueResult) -> Response {
        if result.duplicate {
            return .json(
                .ok,
                [
                    "job_id": .number(JSONNumber(result.jobID)), "state": .string(result.state.rawValue), "duplicate": true,
                    "kind": .string(result.kind.rawValue),
                ])
        }
        return .json(.accepted, ["job_id": .number(JSONNumber(result.jobID)), "state": "queued", "kind": .string(result.kind.rawValue)])
    }

    func order(_ request: Request) async throws -> Response {
        let input = try await body(request, allowed: ["application/json"])
        return try await order(input, source: "orders")
    }

    func contact(_ request: Request) async throws -> Response {
        let input = try await body(request, allowed: ["application/json"])
        let mapped: MappedJob
        do { mapped = try mapper.mapContact(input) } catch { throw IntakeError.invalid(error) }
        return Self.accepted(try await store(.versioned(mapped, input: input)))
    }

    func form(_ request: Request, name: String, ip: String? = nil) async throws -> Response {
        // FormGateMiddleware has checked the name, the token and the per-IP limit.
        guard let form = config.forms[name] else { throw IntakeError.notFound("no form named \(name) in the configuration") }
        let input = try await body(request, allowed: ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"])
        let browser = request.headers[.accept]?.contains("text/html") == true
        if let trap = form.honeypot, let value = input[trap]?.textValue, !value.trimmed.isEmpty {
            logger.info("honeypot filled: submission dropped", metadata: ["form": "\(name)"])
            return browser ? thanks(form) : .json(.accepted, ["state": "queued"])
        }
        let key = request.headers[HTTPField.Name("Idempotency-Key")!]?.trimmed
        let externalID = key.flatMap { $0.isEmpty ? nil : String($0.prefix(200)) } ?? UUID().uuidString.lowercased()
        let mapped: MappedJob
        let client = FormClient(ip: ip, referer: request.headers[.referer].map { String($0.prefix(2000)) })
        do { mapped = try mapper.mapForm(name, values: input, externalID: externalID, client: client) } catch {
            throw IntakeError.invalid(error)
        }
        let result = try await store(NewJob(mapped: mapped, input: input, dedupeKey: "forms:\(name):\(externalID)"))
        return browser ? thanks(form) : Self.accepted(result)
    }

    /// After a browser's `<form method=post>`: 303 to `redirect_url`, or a small page.
    func thanks(_ form: Config.Form) -> Response {
        if let redirect = form.redirectURL {
            var response = Response(status: .seeOther)
            response.headers[.location] = redirect
            return response
        }
        return OAuthRoutes.page(.ok, "Thank you", "Your request has been received. We will contact you soon.")
    }

    /// On the public port: which check failed, never why (paths, errors and credential
    /// details are in the log and in `amosync stats`).
    func readiness() async -> Response {
        var problems: [JSONValue] = []
        do { try await store.checkWritable() } catch {
            logger.error("readiness: the database is not writable", metadata: ["error": "\(error)"])
            problems.append("database_not_writable")
        }
        if await health.credentialsProblem != nil { problems.append("amocrm_credentials") }
        if await health.accountProblem != nil { problems.append("amocrm_account") }
        if await !health.backgroundProblems.isEmpty { problems.append("background_service") }
        if problems.isEmpty { return .json(.ok, ["status": "ready"]) }
        return .json(.serviceUnavailable, ["status": "not ready", "problems": .array(problems)])
    }
}
