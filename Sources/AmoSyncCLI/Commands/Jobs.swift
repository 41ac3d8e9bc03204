import ArgumentParser
import Foundation
import AmoSyncCore
import AmoSyncServer
import AmoCRMFake

/// `amosync jobs …`: inspect, retry, cancel and purge jobs (works while the daemon runs).
struct Jobs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect and manage queued, failed and delivered jobs.",
        subcommands: [List.self, Show.self, Find.self, Retry.self, Cancel.self, Purge.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List jobs, newest first.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "Only jobs in this state (repeatable).") var state: [JobState] = []
        @Option(help: "Only jobs of this kind (repeatable).") var kind: [JobKind] = []
        @Option(help: "Only jobs from this source (orders, a form name).") var source: String?
        @Option(help: "Only jobs created within this time, e.g. 30m, 2h, 7d.") var since: String?
        @Option(help: "How many jobs at most.") var limit = 50
        @Flag(help: "One JSON document instead of a table.") var json = false

        func run() async throws {
            var filter = JobFilter()
            filter.states = state
            filter.kinds = kind
            filter.source = source
            filter.since = try since.map(Jobs.parseSince)
            filter.limit = limit
            let (_, store) = try await options.openStore()
            let jobs = try await store.list(filter)
            Console.print(json: json, JobReport.listJSON(jobs), or: JobReport.listTable(jobs))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one job: input, plan, attempts, warnings, result.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Job id.") var id: Int64
        @Flag(help: "One JSON document.") var json = false

        func run() async throws {
            let (config, store) = try await options.openStore()
            guard let job = try await store.job(id) else {
                Console.error("no job \(id)")
                throw ExitCode.failure
            }
            let attempts = try await store.attempts(of: id)
            Console.print(
                json: json, JobReport.showJSON(job, attempts: attempts, config: config),
                or: JobReport.showText(job, attempts: attempts, config: config))
        }
    }

    struct Find: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Find jobs by order id, external id, phone or email.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "An order id, a phone number in any format, or an email.") var text: String
        @Option(help: "How many jobs at most.") var limit = 50
        @Flag(help: "One JSON document.") var json = false

        func run() async throws {
            let (config, store) = try await options.openStore()
            var filter = JobFilter()
            filter.limit = limit
            filter.text = Jobs.searchKey(text, countryCode: config.contacts.defaultCountryCode)
            var jobs = try await store.list(filter)
            if jobs.isEmpty, filter.text != text {
                filter.text = text
                jobs = try await store.list(filter)
            }
            Console.print(json: json, JobReport.listJSON(jobs), or: JobReport.listTable(jobs))
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue failed or cancelled jobs again, re-mapped with the current config.",
            discussion: "Fix the rule in the config, then retry: the stored input is mapped again. --keep-plan resends the old plan.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Job ids.") var ids: [Int64] = []
        @Flag(help: "All failed jobs.") var failed = false
        @Option(help: "With --failed: only jobs created within this time (2h, 1d).") var since: String?
        @Flag(help: "Resend the stored plan instead of re-mapping the input.") var keepPlan = false

        func validate() throws {
            if ids.isEmpty, !failed { throw ValidationError("name job ids or use --failed") }
        }

        func run() async throws {
            let (config, store) = try await options.openStore()
            var targets = ids
            if failed { await targets += try store.failedIDs(since: try since.map(Jobs.parseSince)) }
            let mapper = Mapper(config: config)
            let remap: (@Sendable (Job) throws -> DeliveryPlan)? = keepPlan ? nil : { @Sendable job in try Jobs.remap(job, mapper: mapper) }
            let changes = try await store.retry(ids: targets, remap: remap)
            Console.print(targets.isEmpty ? "no failed jobs" : JobReport.changes(changes, verb: "queued again"))
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel queued or failed jobs.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Job ids.") var ids: [Int64]

        func run() async throws {
            let (_, store) = try await options.openStore()
            await Console.print(JobReport.changes(try store.cancel(ids: ids), verb: "cancelled"))
        }
    }

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete done and cancelled jobs older than DAYS (failed jobs are kept).")
        @OptionGroup var options: ConfigOptions
        @Option(help: "Age in days.") var olderThan: Double

        func run() async throws {
            let (_, store) = try await options.openStore()
            Console.print("\(try await store.purge(olderThanDays: olderThan)) job(s) deleted")
        }
    }

    /// `30m`, `2h`, `7d`, `45s` before now.
    static func parseSince(_ text: String) throws -> Date {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        guard let unit = text.last.flatMap({ units[$0] }), let amount = Double(text.dropLast()), amount >= 0 else {
            throw ValidationError("--since: expected a duration like 30m, 2h or 7d, got \(text)")
        }
        return Date().addingTimeInterval(-amount * unit)
    }

    /// What a manager typed, normalized the way jobs are indexed.
    static func searchKey(_ text: String, countryCode: String) -> String {
        if text.contains("@"), let email = ContactKey.email(text) { return email }
        let digits = text.filter(\.isASCIIDigit)
        if digits.count >= 7, digits.count == text.filter({ !" ()-+".contains($0) }).count,
            let phone = ContactKey.phone(text, countryCode: countryCode)
        {
            return phone
        }
        return text
    }

    /// A fresh plan from the stored input and the current config.
    static func remap(_ job: Job, mapper: Mapper) throws -> DeliveryPlan {
        switch job.kind {
        case .order, .orderUpdate: return try mapper.mapOrder(job.input, source: job.source).plan
        case .form: return try mapper.mapForm(job.source, values: job.input, externalID: job.externalID).plan
        case .contact: return try mapper.mapContact(job.input).plan
        case .statusBack, .reconcile: return job.plan  // a hint: the lead (the shop) is read again when it runs
        }
    }
}
