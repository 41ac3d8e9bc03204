import Foundation

/// Submissions per IP address in a sliding minute, for public forms (bots, floods).
actor IPRateLimit {
    private var seen: [String: [Date]] = [:]
    private var lastSweep = Date()

    /// Nil when the submission may go on, else the seconds to wait.
    func check(_ key: String, limit: Int, now: Date = Date()) -> Int? {
        guard limit > 0 else { return nil }
        if now.timeIntervalSince(lastSweep) > 60 {
            seen = seen.filter { $0.value.contains { now.timeIntervalSince($0) < 60 } }
            lastSweep = now
        }
        var times = (seen[key] ?? []).filter { now.timeIntervalSince($0) < 60 }
        if times.count >= limit {
            seen[key] = times
            return max(1, Int((60 - now.timeIntervalSince(times[0])).rounded(.up)))
        }
        times.append(now)
        seen[key] = times
        return nil
    }
}
