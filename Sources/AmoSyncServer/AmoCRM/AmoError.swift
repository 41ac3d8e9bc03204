import AmoAPI
import AmoSyncCore
/// A failed amoCRM request, classified once here so that callers only switch on `kind`.
package struct AmoError: Error, Sendable, CustomStringConvertible {
    package enum Kind: Sendable, Equatable {
        /// 429 or an HTML 403 (IP block): pause all delivery.
        case throttled
        /// 5xx or a connection that failed before sending: retry later.
        case transient
        /// No answer after the request was sent (timeout, reset): the write may have happened.
        case unknownOutcome
        /// Credentials do not work and could not be renewed: pause delivery, spend no attempts.
        case unauthorized
        /// The account cannot be used now: 402 (not paid) or a JSON 403 (blocked, an IP not on
        /// the account's whitelist). Delivery pauses, spending no attempts, until it works again.
        case accountUnavailable
        /// 400/404 and other 4xx: the request itself is wrong; fail the job.
        case rejected
    }

    package var kind: Kind
    /// The request, as `POST /api/v4/leads` (`Endpoint.label`)
    var request: String
    var status: Int?
    var title: String?
    package var detail: String
    var validationErrors: [AmoValidationError] = []
    var amoRequestID: String?

    package var description: String {
        var text = "\(request): "
        if let status { text += "HTTP \(status) " }
        if let title, !title.isEmpty { text += "\(title): " }
        text += detail
        return text
    }

    /// The request only read (`GET …`, its label's method): refusing it says nothing about a
    /// job's data.
    var isRead: Bool { request.hasPrefix("GET ") }
}

/// One item of `validation-errors`: which batch item (`request_id`) and what it refused.
struct AmoValidationError: Sendable, Equatable {
    var requestID: String?
    var error: ValidationError

    var code: String { error.code }
    var path: String { error.path }
    var detail: String { error.detail }
}
