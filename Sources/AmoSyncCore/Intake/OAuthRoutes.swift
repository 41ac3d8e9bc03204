import Foundation
import Hummingbird
import HTTPTypes
import Logging
import NIOCore

/// `GET /oauth/callback`: where amoCRM sends the admin after "Allow" (and the request it
/// makes when a widget is installed). The code is stored durably and answered at once —
/// amoCRM gives 3 seconds and never retries — then exchanged in the background.
public struct OAuthRoutes: Sendable {
    let store: JobStore
    let tokens: TokenManager
    let logger: Logger

    public init(store: JobStore, tokens: TokenManager, logger: Logger) {
        self.store = store
        self.tokens = tokens
        self.logger = logger
    }

    public func register(on router: Router<IntakeContext>) {
        router.get("/oauth/callback") { request, _ in
            var query: [String: String] = [:]
            for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
            return self.callback(query)
        }
    }

    static func page(_ status: HTTPResponse.Status, _ title: String, _ text: String) -> Response {
        let html = "<!doctype html><meta charset=utf-8><title>amosync: \(title)</title><h1>\(title)</h1><p>\(text)</p>\n"
        var response = Response(status: status, body: .init(byteBuffer: ByteBuffer(string: html)))
        response.headers[.contentType] = "text/html; charset=utf-8"
        return response
    }

    func callback(_ query: [String: String]) -> Response {
        if let error = query["error"] { return Self.page(.badRequest, "Not connected", "amoCRM said: \(error.htmlEscaped)") }
        guard let code = query["code"], !code.isEmpty else {
            return Self.page(.badRequest, "Not connected", "The request has no authorization code.")
        }
        let fromWidget = query["from_widget"] != nil
        if !fromWidget {
            let expected = try? store.meta("oauth_state")
            guard let expected, let state = query["state"], state == expected else {
                logger.warning("OAuth callback with a wrong or missing state ignored")
                return Self.page(.badRequest, "Not connected", "The state does not match: start again with the link from `amosync auth url`.")
            }
        }
        let referer = query["referer"]
        let pending: JSONValue = ["code": .string(code), "referer": referer.map(JSONValue.string) ?? .null, "at": .number(Date().timeIntervalSince1970)]
        do { try store.setMeta("pending_auth_code", pending.canonicalString) } catch {
            return Self.page(.serviceUnavailable, "Try again", "The code could not be stored.")
        }
        Task { await Self.finishPending(store: store, tokens: tokens, logger: logger) }
        return Self.page(.ok, "Connected", "amosync received the authorization and is exchanging it for tokens. You can close this page.")
    }

    /// Exchanges a stored code (after a callback, or at start when one was left pending),
    /// retrying transient failures while the code can still be valid (20 minutes).
    public static func finishPending(store: JobStore, tokens: TokenManager, logger: Logger) async {
        guard let raw = try? store.meta("pending_auth_code"), let pending = try? JSONValue.parse(Data(raw.utf8)),
              let code = pending["code"]?.stringValue else { return }
        let received = pending["at"]?.doubleValue ?? Date().timeIntervalSince1970
        var delay = 1.0
        while Date().timeIntervalSince1970 - received < 20 * 60 {
            do {
                try await tokens.exchange(code: code, referer: pending["referer"]?.stringValue)
                try? store.setMeta("pending_auth_code", nil)
                logger.info("authorization code exchanged: tokens stored")
                return
            } catch let error as AmoError where error.kind == .unauthorized || error.kind == .rejected {
                try? store.setMeta("pending_auth_code", nil)
                logger.error("authorization code refused", metadata: ["error": "\(error.detail)"])
                return
            } catch {
                logger.warning("authorization code exchange failed, retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(delay))
                delay = min(delay * 2, 60)
            }
        }
        try? store.setMeta("pending_auth_code", nil)
    }
}

extension String {
    var htmlEscaped: String {
        replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
