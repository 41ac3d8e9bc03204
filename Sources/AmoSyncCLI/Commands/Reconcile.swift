import ArgumentParser
import Foundation
import AmoSyncCore
import AmoSyncServer

/// `amosync reconcile SOURCE [--since ISO8601]`: one pass over the shop now, in this process.
struct Reconcile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Queue the orders a shop has that amosync never received (and status changes it missed).",
        discussion: """
            Lists the orders the shop changed since the source's cursor (the first time: reconcile_lookback_hours back), or \
            since --since, 100 a page, and queues each one amosync does not have — or has at another status — exactly as its \
            webhook would have been queued; an order amosync has is left alone (no amoCRM request). The running service \
            delivers what is queued. The service does the same every sources.SOURCE.reconcile_minutes.
            """)

    @OptionGroup var options: ConfigOptions
    @Argument(help: "The source (sources.SOURCE) to reconcile: a WooCommerce or Shopify source with an api.") var source: String
    @Option(help: "Start here instead of the cursor (ISO 8601, like 2026-12-01T00:00:00Z).") var since: String?

    func run() async throws {
        let (config, store) = try await options.openStore()
        let operations = ShopOperations(config: config)
        if let problem = operations.problem(reconciling: source) {
            Console.error(problem)
            throw ExitCode.failure
        }
        var start: Date?
        if let since {
            guard let date = ISO8601DateFormatter().date(from: since) else {
                Console.error("--since: expected an ISO 8601 time like 2026-12-01T00:00:00Z, got \(since)")
                throw ExitCode(2)
            }
            start = date
        }
        do {
            let report = try await operations.reconcile(source, since: start, store: store) { line in Console.print(line) }
            Console.print(report.summary)
        } catch {
            Console.error("\(source): the shop could not be listed: \(error)")
            throw ExitCode.failure
        }
    }
}
