/// What to do with an order when its lead stands at a stage: the one rule both directions of
/// the loop obey (README, "Back to the shop").
///
/// A write happens only when the lead's stage asks for a status the order does not have, and
/// the order's status does not already lead to that stage. The shop's echo of our write then
/// finds the order at the status the stage asks for (nothing to write), and amoCRM's webhook for
/// a move the shop caused finds the order at a status that leads to the stage (nothing to write):
/// neither side can answer the other's answer, so no move is ever played back and forth.
package enum StatusBackDecision: Sendable, Equatable {
    /// Write this status to the shop's order.
    case write(String)
    /// Nothing to write, and why.
    case leave(String)

    /// - Parameters:
    ///   - stage: the lead's status id, as amoCRM holds it now.
    ///   - map: `status_back` (amoCRM status id → shop status).
    ///   - current: the order's status in the shop, as far as amosync knows it.
    ///   - forward: `orders.status_map` (shop status → amoCRM status id).
    package static func decide(stage: Int, map: [Int: String], current: String?, forward: [String: Int]) -> StatusBackDecision {
        guard let target = map[stage] else { return .leave("stage \(stage) is not in status_back: the order is left alone") }
        if let current {
            if current == target { return .leave("the order is already \(target)") }
            if forward[current] == stage {
                return .leave("the order's status \(current) already leads to stage \(stage) (status_map): left alone")
            }
        }
        return .write(target)
    }
}
