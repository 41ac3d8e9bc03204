package struct OAuthClient: Sendable {
    package var id: String
    package var secret: String
    package var redirectURI: String

    package init(id: String, secret: String, redirectURI: String) {
        self.id = id
        self.secret = secret
        self.redirectURI = redirectURI
    }
}
