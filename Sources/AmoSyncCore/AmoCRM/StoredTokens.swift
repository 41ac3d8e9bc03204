import Foundation

/// OAuth tokens read from `tokens_file` (written by `amosync auth exchange`); refreshing
/// them is the `TokenManager`'s job.
public struct StoredTokens: AccessTokenProvider {
    let path: String

    public init(path: String) { self.path = path }

    public func accessToken() async throws -> String {
        guard let data = FileManager.default.contents(atPath: path), let json = try? JSONValue.parse(data),
              let token = json["access_token"]?.stringValue else {
            throw AmoError(kind: .unauthorized, request: "auth", status: nil, title: nil,
                           detail: "no tokens in \(path): authorize with `amosync auth exchange --code CODE` or set amocrm.long_lived_token")
        }
        return token
    }

    public func renew(after rejected: String) async throws -> String {
        throw AmoError(kind: .unauthorized, request: "auth", status: 401, title: nil,
                       detail: "the access token in \(path) was rejected: authorize again with `amosync auth exchange --code CODE`")
    }
}
