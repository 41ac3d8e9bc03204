import Foundation
import Hummingbird
import HTTPTypes
import Logging
import NIOCore
import AmoSyncCore

/// `GET /oauth/callback`: where amoCRM sends the admin after "Allow" (and the request it
/// makes when a widget is installed). The code is stored durably and answered at once —
/// amoCRM gives 3 seconds and never retries — then exchanged in the background.
///
/// The route needs no credential, so it trusts nothing: the `state` from `amosync auth url`
/// works once and expires; a callback without one (a widget install) must name the
/// configured account as its `referer`; a referer elsewhere is refused (see `RefererPolicy`);
/// callbacks are limited to a few a minute and one exchange runs at a time.
package struct OAuthRoutes: Sendable {
    let store: any MetaStore
    let tokens: TokenManager
    let referers: RefererPolicy
    let logger: Logger
    let clock: any TimeSource
    let flood = IPRateLimit(capacity: 1)
    let exchanges = ExchangeRunner()
    /// Callbacks accepted a minute, from everybody together.
    static let callbacksPerMinute = 6
    /// How long the link of `amosync auth url` works.
    package static let stateLifetime: TimeInterval = 3600

    init(store: any MetaStore, tokens: TokenManager, referers: RefererPolicy, logger: Logger, clock: any TimeSource = SystemTime()) {
        self.clock = clock
        self.store = store
        self.tokens = tokens
        self.referers = referers
        self.logger = logger
    }

    func register(on router: Router<IntakeContext>) {
        router.get("/oauth/callback") { request, _ in
            if let wait = await flood.check("callback", limit: Self.callbacksPerMinute, now: clock.now) {
                logger.warning("OAuth callbacks flooded: callback refused")
                var response = Self.page(.tooManyRequests, "Try again", "Too many authorization attempts; try again in \(wait) s.")
                response.headers[.retryAfter] = "\(wait)"
                return response
            }
            var query: [String: String] = [:]
            for (key, value) in request.uri.queryParameters {
                guard query.updateValue(String(value), forKey: String(key)) == nil else {
                    return Self.page(
                        .badRequest, "Not connected", "The parameter \(RefererPolicy.printable(String(key)).htmlEscaped) is repeated.")
                }
            }
            return await self.callback(query)
        }
    }

    static func page(_ status: HTTPResponse.Status, _ title: String, _ text: String) -> Response {
        let html = "<!doctype html><meta charset=utf-8><title>amosync: \(title)</title><h1>\(title)</h1><p>\(text)</p>\n"
        var response = Response(status: status, body: .init(byteBuffer: ByteBuffer(string: html)))
        response.headers[.contentType] = "text/html; charset=utf-8"
        return response
    }

    func callback(_ query: [String: String]) async -> Response {
        if let error = query["error"] {
            return Self.page(.badRequest, "Not connected", "amoCRM said: \(RefererPolicy.printable(error).htmlEscaped)")
        }
        guard let code = query["code"], !code.isEmpty, code.utf8.count <= 4096 else {
            return Self.page(.badRequest, "Not connected", "The request has no authorization code.")
        }
        let referer = query["referer"]
        let decision = referer.map(referers.decide)
        if case .refuse(let reason)? = decision {
            logger.warning("OAuth callback refused", metadata: ["reason": "\(reason)"])
            return Self.page(.badRequest, "Not connected", reason.htmlEscaped)
        }
        if let state = query["state"] {
            guard (try? await store.consumeOAuthState(state)) == true else {
                logger.warning("OAuth callback with a wrong, used or expired state ignored")
                return Self.page(
                    .badRequest, "Not connected",
                    "The state does not match (or the link was used or has expired): start again with the link from `amosync auth url`.")
            }
        } else {
            // A widget install carries no state; it must at least come for this account.
            guard query["from_widget"] != nil, decision == .configured else {
                logger.warning("OAuth callback without state ignored")
                return Self.page(
                    .badRequest, "Not connected",
                    "The request has no state: start again with the link from `amosync auth url`.")
            }
        }
        let pending: JSONValue = [
            "code": .string(code), "referer": referer.map(JSONValue.string) ?? .null,
            "at": .number(JSONNumber(clock.date.timeIntervalSince1970.rounded())),
        ]
        do { try await store.setMeta("pending_auth_code", pending.canonicalString) } catch {
            return Self.page(.serviceUnavailable, "Try again", "The code could not be stored.")
        }
        exchangePending()
        return Self.page(.ok, "Connected", "amosync received the authorization and is exchanging it for tokens. You can close this page.")
    }

    /// Exchanges the stored code in the background (after a callback, or at start when one
    /// was left pending). One exchange runs at a time; a newer code is picked up by it.
    @discardableResult
    func exchangePending() -> Task<Void, Never> {
        let (store, tokens, logger, clock) = (store, tokens, logger, clock)
        return exchanges.run { await Self.finishPending(store: store, tokens: tokens, logger: logger, clock: clock) }
    }

    /// Exchanges the stored code, retrying transient failures while it can still be valid
    /// (20 minutes). Each round reads the newest stored code.
    static func finishPending(store: any MetaStore, tokens: TokenManager, logger: Logger, clock: any TimeSource) async {
        var delay = 1.0
        while let raw = try? await store.meta("pending_auth_code"), let pending = try? JSONValue.parse(Data(raw.utf8)),
            let code = pending["code"]?.stringValue
        {
            let received = pending["at"]?.doubleValue ?? 0
            guard clock.date.timeIntervalSince1970 - received < 20 * 60 else {
                await clear(store, raw)
                return
            }
            do {
                try await tokens.exchange(code: code, referer: pending["referer"]?.stringValue)
                await clear(store, raw)
                logger.info("authorization code exchanged: tokens stored")
                return
            } catch let error as AmoError where error.kind == .unauthorized || error.kind == .rejected {
                await clear(store, raw)
                logger.error("authorization code refused", metadata: ["error": "\(error.detail)"])
                // A newer code may have been stored meanwhile: the loop reads it.
            } catch {
                logger.warning("authorization code exchange failed, retrying", metadata: ["error": "\(error)"])
                try? await clock.sleep(for: .seconds(delay))
                delay = min(delay * 2, 60)
            }
        }
    }

    /// Removes the pending code unless a newer one replaced it.
    private static func clear(_ store: any MetaStore, _ raw: String) async {
        if (try? await store.meta("pending_auth_code")) == raw { try? await store.setMeta("pending_auth_code", nil) }
    }
}

extension String {
    var htmlEscaped: String {
        replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
