import Foundation

/// What a job delivers.
package enum JobKind: String, Codable, Sendable, CaseIterable {
    case order
    case orderUpdate = "order_update"
    case form
    case contact
}
