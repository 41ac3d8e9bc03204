import Foundation

/// Reading the settings of the way back to the shop: shop APIs, stage maps, amoCRM's webhook.
extension Config {
    static func readShopAPI(_ section: inout ConfigObject, type: String) -> ShopAPI {
        let problems = section.problems
        var api = ShopAPI()
        api.baseURL = section.string("base_url")
        if let base = api.baseURL, URL(string: base)?.scheme?.hasPrefix("http") != true {
            problems.add(section.child("base_url"), "expected an http(s) URL")
        }
        switch type {
        case "woocommerce":
            api.url = section.string("url", required: true)
            if let url = api.url, URL(string: url)?.scheme != "https" || URL(string: url)?.host == nil {
                problems.add(
                    section.child("url"),
                    "expected the shop's https:// address: the consumer key and secret go as Basic auth "
                        + "and must not cross the network in plain text"
                )
            }
            api.consumerKey = section.string("consumer_key", required: true)
            api.consumerSecret = section.string("consumer_secret", required: true)
        case "shopify":
            api.shop = section.string("shop", required: true)
            if let shop = api.shop, !shop.hasSuffix(".myshopify.com") || shop.contains("/") {
                problems.add(section.child("shop"), "expected the shop's myshopify.com domain, like \"example.myshopify.com\"")
            }
            api.accessToken = section.string("access_token")
            api.clientID = section.string("client_id")
            api.clientSecret = section.string("client_secret")
            api.version = section.string("version") ?? api.version
            if api.accessToken == nil, api.clientID == nil || api.clientSecret == nil {
                problems.add(section.child("access_token"), "is required unless client_id and client_secret are set")
            }
        default:
            problems.add(section.path, "a \(type) source has no API amosync uses")
            section.finish(allowing: Set(section.values.keys))
            return api
        }
        section.finish()
        return api
    }

    /// `{"142": "completed"}`: amoCRM status ids to what the shop's order becomes.
    static func readStatusMap(_ section: inout ConfigObject, type: String) -> [Int: String] {
        let problems = section.problems
        var map: [Int: String] = [:]
        for key in section.values.keys.sorted() {
            let path = section.child(key)
            guard let value = section.string(key) else { continue }
            guard let status = Int(key), status > 0 else {
                problems.add(path, "keys are amoCRM status ids (142 is won, 143 lost)")
                continue
            }
            switch type {
            case "shopify":
                guard value == "close" || value == "cancel" || (value.hasPrefix("tag:") && value.count > 4 && value.count <= 44) else {
                    problems.add(path, "expected \"close\", \"cancel\" or \"tag:TEXT\" (at most 40 characters), got \"\(value)\"")
                    continue
                }
            case "tilda":
                problems.add(path, "a tilda source has no orders to write back to")
                continue
            default:
                guard Self.isStatusSlug(value) else {
                    problems.add(path, "expected a status name like \"completed\" (letters, digits, - and _), got \"\(value)\"")
                    continue
                }
            }
            map[status] = value
        }
        section.finish(allowing: Set(section.values.keys))
        return map
    }

    static func isStatusSlug(_ value: String) -> Bool {
        !value.isEmpty && value.count <= 64 && value.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    static func readOwnStatusBack(_ section: inout ConfigObject) -> OwnStatusBack? {
        let problems = section.problems
        let url = section.string("url", required: true)
        if let url, let parsed = URL(string: url), let host = parsed.host {
            let loopback = host == "localhost" || host == "::1" || host.hasPrefix("127.")
            if parsed.scheme != "https", !(parsed.scheme == "http" && loopback) {
                problems.add(section.child("url"), "expected an https:// URL (plain http only to this machine)")
            }
        } else if url != nil {
            problems.add(section.child("url"), "expected an https:// URL")
        }
        let secret = section.string("secret", required: true)
        if let secret, secret.count < 16 { problems.add(section.child("secret"), "must be at least 16 characters long") }
        var map: [Int: String] = [:]
        if var entries = section.object("map") {
            map = readStatusMap(&entries, type: "own")
        }
        if map.isEmpty { problems.add(section.child("map"), "is required: which amoCRM status ids become which shop status") }
        section.finish()
        guard let url, let secret else { return nil }
        return OwnStatusBack(url: url, secret: secret, map: map)
    }

    static func readAmoWebhook(_ section: inout ConfigObject) -> AmoWebhook? {
        let problems = section.problems
        let url = section.string("public_url", required: true)
        if let url, URL(string: url)?.scheme?.hasPrefix("http") != true || URL(string: url)?.host == nil {
            problems.add(
                section.child("public_url"), "expected the address amoCRM reaches amosync at, like \"https://amosync.shop.example\"")
        }
        let key = section.string("key", required: true)
        if let key, key.count < 32 || !key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
            problems.add(section.child("key"), "expected at least 32 letters, digits, - or _ (it is part of the URL): openssl rand -hex 24")
        }
        section.finish()
        guard let url, let key else { return nil }
        return AmoWebhook(publicURL: url, key: key)
    }
}
