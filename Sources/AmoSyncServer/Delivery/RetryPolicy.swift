import Foundation
import AmoSyncCore

/// Exponential backoff with jitter: base × 2^(attempt-1), capped, then scaled by a random
/// factor in 0.5…1 so that jobs failed together do not return together.
package struct RetryPolicy: Sendable {
    package var base: Double
    package var max: Double
    package var maxAttempts: Int

    package init(base: Double, max: Double, maxAttempts: Int) {
        self.base = base
        self.max = max
        self.maxAttempts = maxAttempts
    }

    package init(_ worker: Config.Worker) {
        self.init(base: worker.backoffBaseSeconds, max: worker.backoffMaxSeconds, maxAttempts: worker.maxAttempts)
    }

    /// Delay before the next try after `attempts` failed attempts.
    package func delay(afterAttempt attempts: Int, random: Double = Double.random(in: 0.5...1)) -> Double {
        let exponential = base * pow(2, Double(Swift.max(0, attempts - 1)))
        return Swift.min(max, exponential) * random
    }

    package func exhausted(_ attempts: Int) -> Bool { attempts >= maxAttempts }
}
