import Foundation
import AmoSyncCore

/// Exponential backoff with jitter: base × 2^(attempt-1), capped, then scaled by a random
/// factor in 0.5…1 so that jobs failed together do not return together.
struct RetryPolicy: Sendable {
    var base: Double
    var max: Double
    var maxAttempts: Int

    init(base: Double, max: Double, maxAttempts: Int) {
        self.base = base
        self.max = max
        self.maxAttempts = maxAttempts
    }

    init(_ worker: Config.Worker) {
        self.init(base: worker.backoffBaseSeconds, max: worker.backoffMaxSeconds, maxAttempts: worker.maxAttempts)
    }

    /// Delay before the next try after `attempts` failed attempts.
    func delay(afterAttempt attempts: Int, random: Double = Double.random(in: 0.5...1)) -> Double {
        let exponential = base * pow(2, Double(Swift.max(0, attempts - 1)))
        return Swift.min(max, exponential) * random
    }

    func exhausted(_ attempts: Int) -> Bool { attempts >= maxAttempts }
}
