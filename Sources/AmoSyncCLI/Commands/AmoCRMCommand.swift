import ArgumentParser
import Foundation
import Logging
import AmoSyncCore
import AmoSyncServer

/// `amosync amocrm …`: what amosync keeps in the amoCRM account itself.
struct AmoCRMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "amocrm", abstract: "Manage what amosync registers in the amoCRM account.", subcommands: [Hook.self])

    struct Hook: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "webhook",
            abstract: "amosync's webhook for lead stage changes ({public_url}/v1/amocrm/events/{key}).",
            discussion: """
                install registers exactly one hook (running it again re-enables a hook amoCRM switched off), remove deletes it,
                status says how it stands. Set amocrm.webhook (public_url, key) first.
                """,
            subcommands: [Install.self, Remove.self, Status.self])
    }

    struct Install: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register the webhook (idempotent).")
        @OptionGroup var options: ConfigOptions
        func run() async throws {
            try await AmoCRMCommand.hook(options) { hook in
                try await hook.install()
                Console.print(AmoHook.describe(try await hook.state()))
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete the webhook from the account.")
        @OptionGroup var options: ConfigOptions
        func run() async throws {
            try await AmoCRMCommand.hook(options) { hook in
                try await hook.remove()
                Console.print("amosync's webhook removed; stage changes now reach the shop only through the event poll")
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Whether the webhook is registered and enabled; exit 1 if not.")
        @OptionGroup var options: ConfigOptions
        func run() async throws {
            try await AmoCRMCommand.hook(options) { hook in
                let state = try await hook.state()
                Console.print(AmoHook.describe(state))
                if state != .registered { throw ExitCode.failure }
            }
        }
    }

    /// Runs `body` with the configured hook and the account's client (sharing a running daemon's budget).
    static func hook(_ options: ConfigOptions, _ body: (AmoHook) async throws -> Void) async throws {
        let config = try options.load()
        guard config.amocrm.webhook != nil else {
            Console.error("amocrm.webhook is not set: add {\"public_url\": \"https://…\", \"key\": \"env:AMOSYNC_AMOCRM_HOOK_KEY\"}")
            throw ExitCode.failure
        }
        let account = AmoAccount(
            config: config, store: try? await StoreOpener.open(config),
            logger: Logger(label: "amosync", factory: { _ in SwiftLogNoOpLogHandler() }))
        do { try await body(AmoHook(config: config, client: account.client)) } catch let error as AmoError {
            Console.error("amoCRM: \(error.kind == .unauthorized ? error.detail : error.description)")
            throw ExitCode.failure
        }
    }
}
