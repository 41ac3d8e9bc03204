import AmoSyncCore

/// Submissions per client address in a sliding minute, for public forms (bots, floods).
/// Monotonic time (a clock step cannot reset or extend a window). The table is bounded and a
/// request costs O(1) whatever it holds: entries are listed in the order of their last
/// accepted submission, so the least recently used one is always at hand. At `capacity`, that
/// one makes room when its minute is over or it has not used its budget; an address that has
/// used its budget is never forgotten before its window ends — it moves to a second list of
/// held addresses (as bounded). Only when both are full is a new address refused, with the wait.
actor IPRateLimit {
    typealias Instant = ContinuousClock.Instant
    private struct Entry {
        /// Accepted submissions inside the window, oldest first (at most `limit`).
        var times: [Instant]
        var limit: Int
        var held = false
        /// Neighbours in last-accepted order (towards the oldest, towards the newest).
        var older: String?
        var newer: String?
    }
    /// One of the two lists: its oldest and newest keys.
    private struct Ends {
        var oldest: String?
        var newest: String?
        var count = 0
    }
    private var entries: [String: Entry] = [:]
    private var open = Ends()
    private var held = Ends()
    let capacity: Int
    static let window = Duration.seconds(60)
    /// Entries looked at per call at most, sweeping or making room (each call stays O(1)).
    static let stepsPerCall = 8

    init(capacity: Int = 20_000) { self.capacity = max(1, capacity) }

    /// Addresses remembered (both lists).
    var count: Int { entries.count }

    /// Nil when the submission may go on, else the seconds to wait.
    func check(_ key: String, limit: Int, now: Instant) -> Int? {
        guard limit > 0 else { return nil }
        sweep(now: now)
        if var entry = entries[key] {
            entry.times.removeAll { now - $0 >= Self.window }
            entry.limit = limit
            if entry.times.count >= limit {
                entries[key] = entry
                return Self.seconds(until: entry.times[0] + Self.window, now: now)
            }
            entry.times.append(now)
            entries[key] = entry
            unlink(key)
            append(key, held: false)
            return nil
        }
        if open.count >= capacity, let wait = makeRoom(now: now) { return wait }
        entries[key] = Entry(times: [now], limit: limit)
        append(key, held: false)
        return nil
    }

    /// Drops entries whose minute is over, oldest first, a few per call.
    private func sweep(now: Instant) {
        for list in [false, true] {
            for _ in 0..<Self.stepsPerCall {
                let oldest = list ? held.oldest : open.oldest
                guard let key = oldest, let last = entries[key]?.times.last, now - last >= Self.window else { break }
                unlink(key)
                entries[key] = nil
            }
        }
    }

    /// Frees a place in the open list: its oldest entry goes unless it is over its budget, in
    /// which case it moves to the held list. Nil when there is room now, else the wait.
    private func makeRoom(now: Instant) -> Int? {
        var steps = 0
        while open.count >= capacity {
            guard steps < Self.stepsPerCall, let key = open.oldest, let entry = entries[key] else { return 1 }
            steps += 1
            let live = entry.times.filter { now - $0 < Self.window }
            if live.count < entry.limit {
                unlink(key)
                entries[key] = nil
            } else if held.count < capacity {
                unlink(key)
                append(key, held: true)
            } else {
                return Self.seconds(until: live[0] + Self.window, now: now)
            }
        }
        return nil
    }

    private func unlink(_ key: String) {
        guard let entry = entries[key] else { return }
        if let older = entry.older { entries[older]?.newer = entry.newer } else { update(entry.held) { $0.oldest = entry.newer } }
        if let newer = entry.newer { entries[newer]?.older = entry.older } else { update(entry.held) { $0.newest = entry.older } }
        update(entry.held) { $0.count -= 1 }
        entries[key]?.older = nil
        entries[key]?.newer = nil
    }

    private func append(_ key: String, held isHeld: Bool) {
        let newest = isHeld ? held.newest : open.newest
        entries[key]?.held = isHeld
        entries[key]?.older = newest
        entries[key]?.newer = nil
        if let newest { entries[newest]?.newer = key }
        update(isHeld) { list in
            list.newest = key
            if list.oldest == nil { list.oldest = key }
            list.count += 1
        }
    }

    private func update(_ isHeld: Bool, _ change: (inout Ends) -> Void) {
        if isHeld { change(&held) } else { change(&open) }
    }

    static func seconds(until deadline: Instant, now: Instant) -> Int {
        let wait = deadline - now
        return max(1, Int(wait.components.seconds) + (wait.components.attoseconds > 0 ? 1 : 0))
    }
}
