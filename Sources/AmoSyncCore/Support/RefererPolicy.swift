/// Which account host an OAuth `referer` may point amosync at. amoCRM names the account's
/// host in the redirect after "Allow"; anybody can name another in a forged callback, and
/// the code exchange sends the client secret to that host. So a referer is only ever a
/// bare host under amoCRM's own domains, and by default only the configured account's.
package struct RefererPolicy: Sendable, Equatable {
    /// The configured account host, `shop.amocrm.ru`.
    let accountHost: String
    /// `amocrm.follow_referer`: a renamed account (another allowed host) may be followed.
    let followRenamed: Bool

    static let allowedDomains = ["amocrm.ru", "amocrm.com", "kommo.com"]

    package enum Decision: Equatable, Sendable {
        /// The configured account: use the configured address.
        case configured
        /// A renamed account, followed (`follow_referer`): use this host.
        case follow(String)
        /// Not followed; the reason names the host and the key to change.
        case refuse(String)
    }

    init(accountHost: String, followRenamed: Bool) {
        self.accountHost = accountHost.lowercased()
        self.followRenamed = followRenamed
    }

    package func decide(_ referer: String) -> Decision {
        let host = referer.lowercased()
        guard Self.isAllowedHost(host) else {
            return .refuse(
                "amoCRM's callback named the account host \"\(Self.printable(referer))\", which is not a host under "
                    + Self.allowedDomains.joined(separator: ", ") + "; ignored (a forged callback?)")
        }
        if host == accountHost { return .configured }
        guard followRenamed else {
            return .refuse(
                "amoCRM named the account host \(host), but the configuration says \(accountHost): if the account was renamed, "
                    + "set amocrm.subdomain (and amocrm.domain) to match, or set amocrm.follow_referer to true")
        }
        return .follow(host)
    }

    /// A bare host (no scheme, port, user info or path) of at least one label under an allowed
    /// domain, each label 1–63 letters, digits or hyphens, not starting or ending with a hyphen.
    static func isAllowedHost(_ host: String) -> Bool {
        guard host.utf8.count <= 253, let domain = allowedDomains.first(where: { host.hasSuffix("." + $0) }) else { return false }
        let labels = host.dropLast(domain.count + 1).split(separator: ".", omittingEmptySubsequences: false)
        return !labels.isEmpty
            && labels.allSatisfy { label in
                (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                    && label.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
            }
    }

    /// At most 100 printable ASCII characters of what the callback sent, for a log or a page.
    package static func printable(_ text: String) -> String {
        String(
            String.UnicodeScalarView(text.unicodeScalars.prefix(100).map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? $0 : "?" }))
    }
}
