import Foundation

/// What a job delivers.
package enum JobKind: String, Codable, Sendable, CaseIterable {
    case order
    case orderUpdate = "order_update"
    case form
    case contact
    /// A lead's stage changed in amoCRM: the shop's order is brought in line (amoCRM → shop).
    case statusBack = "status_back"
    /// A pass over a shop's orders changed since its cursor: what no webhook brought is queued.
    case reconcile

    /// Work in the shop's lane of the queue (never waiting behind amoCRM delivery), and no
    /// delivery to amoCRM.
    package var isShopWork: Bool { self == .statusBack || self == .reconcile }
}
