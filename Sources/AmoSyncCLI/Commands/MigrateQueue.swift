import ArgumentParser
import Foundation
import AmoSyncCore
import AmoSyncServer

/// `amosync migrate-queue --to postgres://…`: the SQLite queue of `database.path` moved to PostgreSQL.
struct MigrateQueue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-queue",
        abstract: "Copy the SQLite queue (database.path) into an empty PostgreSQL database, for running several nodes.",
        discussion: """
            Stop amosync first (systemctl stop amosync). Every job keeps its id, state, attempts and progress; the contact \
            index, the status ledger, the products index and the OAuth tokens of amocrm.tokens_file go along. It all goes in \
            one transaction: on any error the PostgreSQL database stays empty, and the SQLite file is never changed. Then set \
            "database": {"url": "…"} in the config of every node and start them.
            """)

    @OptionGroup var options: ConfigOptions
    @Option(help: "The PostgreSQL database: postgres://USER:PASSWORD@HOST:5432/DATABASE, or env:NAME holding one.") var to: String

    func run() async throws {
        let config = try options.load()
        guard config.databaseURL == nil else {
            Console.error("database.url is set: this config already uses PostgreSQL; migrate-queue reads the SQLite file of database.path")
            throw ExitCode.failure
        }
        var url = to
        if to.hasPrefix("env:") {
            // As the config resolves `env:`: the process environment over amosync.env beside the config.
            guard let value = try ConfigFile.environment(forConfig: options.path)[String(to.dropFirst(4))] else {
                Console.error("--to: environment variable \(to.dropFirst(4)) is not set (nor in amosync.env beside the config)")
                throw ExitCode(2)
            }
            url = value
        }
        guard Config.isPostgresURL(url) else {
            Console.error("--to: expected postgres://USER:PASSWORD@HOST:5432/DATABASE (?sslmode=require for TLS)")
            throw ExitCode(2)
        }
        guard FileManager.default.fileExists(atPath: config.databasePath) else {
            Console.error("database.path: \(config.databasePath) does not exist: there is no queue to move")
            throw ExitCode.failure
        }
        let target: PostgresStore
        let source: SQLiteStore
        do {
            source = try SQLiteStore(path: config.databasePath)
            target = try await PostgresStore.open(url: url)
        } catch {
            Console.error("cannot open the databases: \(error)")
            throw ExitCode.failure
        }
        Console.print("copying \(config.databasePath) to \(target.name) …")
        let counts: QueueCopy.Counts
        do {
            counts = try await QueueCopy(source: source, target: target).run { line in Console.print("  " + line) }
        } catch {
            Console.error("nothing was copied: \(error)")
            throw ExitCode.failure
        }
        if config.amocrm.longLivedToken == nil, let tokens = try? TokenFile(path: config.amocrm.tokensFile).read(),
            (try? await DatabaseTokens(store: target).load()) == nil
        {
            try await DatabaseTokens(store: target).save(tokens)
            Console.print("the OAuth tokens of \(config.amocrm.tokensFile) are now in the database (the file is no longer read)")
        }
        let summary = QueueCopy.tables.map { "\(counts.rows[$0.0] ?? 0) \($0.0)" }.joined(separator: ", ")
        Console.print("done: \(summary)")
        Console.print(
            "next: in the config of every node, replace \"database\": {\"path\": …} with {\"url\": \"env:AMOSYNC_DATABASE_URL\"}, "
                + "then start them; `amosync check` shows the database and which node delivers")
    }
}
