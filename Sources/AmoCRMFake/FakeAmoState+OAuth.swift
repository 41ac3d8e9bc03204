import AmoAPI
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
        guard request.method == "POST", request.path == AmoPath.accessToken else {
            return .problem(404, title: "Not Found", detail: "Unknown path \(request.path)")
        }
        // JSON (as amosync sends it) or form-encoded (as the League provider does).
        let token: TokenRequest?
        if let decoded = try? AmoJSON.decode(TokenRequest.self, from: request.body) {
            token = decoded
        } else {
            let form = Dictionary(BodyDecoder.parseURLEncoded(String(decoding: request.body, as: UTF8.self))) { $1 }
            token = form["client_id"].map {
                TokenRequest(
                    clientID: $0, clientSecret: form["client_secret"] ?? "", grantType: form["grant_type"] ?? "",
                    redirectURI: form["redirect_uri"] ?? "", code: form["code"], refreshToken: form["refresh_token"])
            }
        }
        let problemType = "https://developers.amocrm.ru/v3/errors/OAuthProblemJson"
        let invalidClient = FakeResponse.encoded(
            401, Problem(status: 401, title: "Некорректный клиент", detail: "Авторизация клиента не прошла", type: problemType),
            contentType: "application/problem+json")
        let invalidRequest = { (hint: String, status: Int) in
            FakeResponse.encoded(
                status,
                Problem(
                    status: status, title: "Некорректный запрос", detail: "В запросе отсутствует ряд параметров или параметры невалидны",
                    type: problemType, hint: hint),
                contentType: "application/problem+json")
        }
        guard let client = oauthClient, let token, token.clientID == client.id, token.clientSecret == client.secret,
            token.redirectURI == client.redirectURI
        else { return invalidClient }
        switch token.grantType {
        case TokenRequest.authorizationCode:
            guard let code = token.code, let expiry = codes.removeValue(forKey: code) else {
                return invalidRequest("Authorization code has been revoked", 400)
            }
            guard expiry > now else { return invalidRequest("Authorization code has expired", 400) }
            exchangeCount += 1
            return issueTokens()
        case TokenRequest.refresh:
            guard let refresh = token.refreshToken, refreshTokens.remove(refresh) != nil else {
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
        return .encoded(
            200, TokenResponse(accessToken: access, refreshToken: refresh, expiresIn: accessTTL, serverTime: Int(now.rounded())),
            contentType: "application/json")
    }
}
