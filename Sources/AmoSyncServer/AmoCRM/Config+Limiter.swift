import AmoSyncCore

extension Config.AmoCRM {
    /// The account's one rate limiter, with this process's share of the common budget.
    package func limiter(outageBase: Double = 1, shared: SharedBudget?, clock: any TimeSource = SystemTime()) -> RateLimiter {
        RateLimiter(
            requestsPerSecond: requestsPerSecond, arrivalAllowance: .milliseconds(arrivalAllowanceMs),
            outageBase: outageBase, shared: shared, clock: clock)
    }
}
