import Foundation
import AmoSyncCore

/// The OAuth side of the fake, as amoCRM behaves (README, "The fake amoCRM"): codes work
/// once and live 20 minutes, access tokens expire, refresh tokens are single-use and rotate,
/// reuse is answered with the real 401 "Token has been revoked", a wrong client with
/// "Некорректный клиент".
typealias FakeOAuthClient = OAuthClient

extension FakeAmoState {
    /// A new authorization code, as if an admin had just opened "Keys and access".
    func issueCode() -> String {
        let code = "def50200" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        codes[code] = now + 20 * 60
        return code
    }

    /// Tokens issued so far, for assertions.
    var oauthStats: (refreshes: Int, exchanges: Int) { (refreshCount, exchangeCount) }

    /// Revokes every refresh token (as when an admin disconnects the integration).
    func revokeAll() {
        refreshTokens.removeAll()
        accessTokens.removeAll()
    }

    /// Every issued access token stops working (refresh tokens still do).
    func expireAccessTokens() { accessTokens.removeAll() }

    /// Refresh attempts with an already used or revoked token.
    var revokedRefreshAttempts: Int { revokedAttempts }

    /// Lets access tokens expire `seconds` from now.
    func setAccessTTL(_ seconds: Double) { accessTTL = seconds }

    func isValidAccessToken(_ token: String) -> Bool {
        if validTokens.contains(token) { return true }
        guard let expiry = accessTokens[token] else { return false }
        return expiry > now
    }

    func oauth(_ request: FakeRequest) -> FakeResponse {
        guard request.method == "POST", request.path == "/oauth2/access_token" else {
            return .problem(404, title: "Not Found", detail: "Unknown path \(request.path)")
        }
        var body: [String: String] = [:]
        if let json = try? JSONValue.parse(request.body), let object = json.objectValue {
            for (key, value) in object { body[key] = value.textValue }
        } else {
            for (key, value) in BodyDecoder.parseURLEncoded(String(decoding: request.body, as: UTF8.self)) { body[key] = value }
        }
        let invalidClient = FakeResponse.json(
            401,
            [
                "title": "Некорректный клиент", "type": "https://developers.amocrm.ru/v3/errors/OAuthProblemJson",
                "status": 401, "detail": "Авторизация клиента не прошла",
            ], contentType: "application/problem+json")
        let invalidRequest = { (hint: String, status: Int) in
            FakeResponse.json(
                status,
                [
                    "hint": .string(hint), "title": "Некорректный запрос",
                    "type": "https://developers.amocrm.ru/v3/errors/OAuthProblemJson",
                    "status": .number(JSONNumber(status)), "detail": "В запросе отсутствует ряд параметров или параметры невалидны",
                ],
                contentType: "application/problem+json")
        }
        guard let client = oauthClient, body["client_id"] == client.id, body["client_secret"] == client.secret,
            body["redirect_uri"] == client.redirectURI
        else { return invalidClient }
        switch body["grant_type"] {
        case "authorization_code":
            guard let code = body["code"], let expiry = codes.removeValue(forKey: code) else {
                return invalidRequest("Authorization code has been revoked", 400)
            }
            guard expiry > now else { return invalidRequest("Authorization code has expired", 400) }
            exchangeCount += 1
            return issueTokens()
        case "refresh_token":
            guard let token = body["refresh_token"], refreshTokens.remove(token) != nil else {
                revokedAttempts += 1
                return invalidRequest("Token has been revoked", 401)
            }
            refreshCount += 1
            return issueTokens()
        default:
            return invalidRequest("Unsupported grant type", 400)
        }
    }

    private func issueTokens() -> FakeResponse {
        let access = JWT.make(["exp": .number(JSONNumber((now + accessTTL).rounded())), "api_domain": "api-a.amocrm.ru"])
        let refresh =
            "def50200" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
            + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        accessTokens[access] = now + accessTTL
        refreshTokens.insert(refresh)
        return .json(
            200,
            [
                "token_type": "Bearer", "expires_in": .number(JSONNumber(accessTTL)), "server_time": .number(JSONNumber(now.rounded())),
                "access_token": .string(access), "refresh_token": .string(refresh),
            ], contentType: "application/json")
    }
}
