import Foundation

/// What a job delivers.
package enum JobKind: String, Codable, Sendable, CaseIterable {
    case order
    case orderUpdate = "order_update"
    case form
    case contact
    /// A lead's stage changed in amoCRM: the shop's order is brought in line (amoCRM → shop).
    case statusBack = "status_back"
}
