/// A shop's API did not take a request. `transient` is tried again with back-off; `rejected`
/// fails the job with the shop's own words (never with the credentials).
struct ShopError: Error, Sendable, CustomStringConvertible {
    enum Kind: Sendable { case transient, rejected }
    var kind: Kind
    /// `PUT /wp-json/wc/v3/orders/{id}`
    var request: String
    var status: Int?
    var detail: String

    var description: String { "\(request): " + (status.map { "HTTP \($0) " } ?? "") + detail }

    /// The kind an HTTP status means: 408, 429 and 5xx pass, other 4xx are the request's fault.
    static func kind(of status: Int) -> Kind {
        status == 408 || status == 429 || status >= 500 || (300..<400).contains(status) ? .transient : .rejected
    }
}
