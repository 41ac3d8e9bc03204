import AmoAPI
import AmoSyncCore

/// amosync's webhook in the account (`amosync amocrm webhook install|remove|status`, `check`):
/// exactly one hook for `{public_url}/v1/amocrm/events/{key}`, subscribed to stage changes.
package struct AmoHook: Sendable {
    package enum State: Sendable, Equatable {
        case notConfigured
        case missing
        case disabled
        /// Registered, but not for stage changes.
        case incomplete([String])
        case registered
    }

    let config: Config
    let client: AmoClient

    package init(config: Config, client: AmoClient) {
        self.config = config
        self.client = client
    }

    /// How the hook stands in the account.
    package func state() async throws -> State {
        guard let hook = config.amocrm.webhook else { return .notConfigured }
        let found = try await client.send(Endpoints.webhooks()).items.first { $0.destination == hook.destination }
        guard let found else { return .missing }
        if found.disabled == true { return .disabled }
        let settings = found.settings ?? []
        return settings.contains(Webhook.leadStatusChanged) ? .registered : .incomplete(settings)
    }

    /// Registers the hook (again: amoCRM replaces the settings of a hook with the same
    /// destination and enables it); idempotent.
    package func install() async throws {
        guard let hook = config.amocrm.webhook else { return }
        _ = try await client.send(
            try Endpoints.createWebhook(Webhook(destination: hook.destination, settings: [Webhook.leadStatusChanged])))
    }

    package func remove() async throws {
        guard let hook = config.amocrm.webhook else { return }
        _ = try await client.send(try Endpoints.deleteWebhook(destination: hook.destination))
    }

    /// One line for people, with what to do.
    package static func describe(_ state: State) -> String {
        switch state {
        case .notConfigured: return "amocrm.webhook is not set: stage changes reach the shop only through the event poll"
        case .missing: return "amosync's webhook is not registered in the account: run `amosync amocrm webhook install`"
        case .disabled:
            return "amosync's webhook is disabled in the account (amoCRM switches off a failing hook): run `amosync amocrm webhook install`"
        case .incomplete(let settings):
            return
                "amosync's webhook is registered for \(settings.joined(separator: ", ")) but not for status_lead: "
                + "run `amosync amocrm webhook install`"
        case .registered: return "amosync's webhook is registered for lead stage changes"
        }
    }
}
