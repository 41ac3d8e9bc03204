/// `POST /oauth2/access_token`: a code exchange or a refresh.
package struct TokenRequest: Codable, Sendable, Equatable {
    package var clientID: String
    package var clientSecret: String
    package var grantType: String
    package var redirectURI: String
    package var code: String?
    package var refreshToken: String?

    package static let authorizationCode = "authorization_code"
    package static let refresh = "refresh_token"

    package init(
        clientID: String, clientSecret: String, grantType: String, redirectURI: String, code: String? = nil, refreshToken: String? = nil
    ) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.grantType = grantType
        self.redirectURI = redirectURI
        self.code = code
        self.refreshToken = refreshToken
    }

    enum CodingKeys: String, CodingKey {
        case clientID = "client_id", clientSecret = "client_secret", grantType = "grant_type", redirectURI = "redirect_uri", code
        case refreshToken = "refresh_token"
    }
}

/// Its answer: a new access token and the refresh token that replaces the one used.
package struct TokenResponse: Codable, Sendable, Equatable {
    package var tokenType: String?
    package var expiresIn: Double?
    package var accessToken: String
    package var refreshToken: String
    package var serverTime: Int?

    package init(accessToken: String, refreshToken: String, expiresIn: Double, serverTime: Int?) {
        self.tokenType = "Bearer"
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresIn = expiresIn
        self.serverTime = serverTime
    }

    enum CodingKeys: String, CodingKey {
        case tokenType = "token_type", expiresIn = "expires_in", accessToken = "access_token", refreshToken = "refresh_token"
        case serverTime = "server_time"
    }
}
