import Synchronization

/// Wakes idle workers when intake stores a job, instead of waiting for the next poll.
public final class Doorbell: Sendable {
    private let rings = Atomic<Int>(0)

    public init() {}

    public func ring() { rings.add(1, ordering: .relaxed) }

    /// Returns after a ring or the timeout, whichever comes first.
    public func wait(timeout: Duration) async {
        let start = rings.load(ordering: .relaxed)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, rings.load(ordering: .relaxed) == start {
            try? await Task.sleep(for: .milliseconds(20))
            if Task.isCancelled { return }
        }
    }
}
