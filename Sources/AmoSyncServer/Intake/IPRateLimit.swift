import AmoSyncCore
/// Submissions per client address in a sliding minute, for public forms (bots, floods).
/// Monotonic time (a clock step cannot reset or extend a window) and a bounded table: at
/// `capacity` addresses, expired ones are swept and, if none expired, the quietest goes.
actor IPRateLimit {
    typealias Instant = ContinuousClock.Instant
    private var seen: [String: [Instant]] = [:]
    let capacity: Int
    static let window = Duration.seconds(60)

    init(capacity: Int = 10_000) { self.capacity = capacity }

    var count: Int { seen.count }

    /// Nil when the submission may go on, else the seconds to wait.
    func check(_ key: String, limit: Int, now: Instant = .now) -> Int? {
        guard limit > 0 else { return nil }
        var times = (seen.removeValue(forKey: key) ?? []).filter { now - $0 < Self.window }
        defer { seen[key] = times }
        if times.count >= limit {
            let wait = Self.window - (now - times[0])
            return max(1, Int(wait.components.seconds) + (wait.components.attoseconds > 0 ? 1 : 0))
        }
        if seen.count >= capacity { makeRoom(now: now) }
        times.append(now)
        return nil
    }

    private func makeRoom(now: Instant) {
        seen = seen.filter { $0.value.contains { now - $0 < Self.window } }
        if seen.count >= capacity, let quietest = seen.min(by: { ($0.value.last ?? now) < ($1.value.last ?? now) })?.key {
            seen[quietest] = nil
        }
    }
}
