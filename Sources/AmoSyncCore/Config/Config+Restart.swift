extension Config {
    /// Settings a running daemon holds in objects built once (listeners, the database, the
    /// amoCRM client and its limiter, the contact index's phone normalization and pace, amoCRM's
    /// webhook key, whether the status_back writer runs at all): a reload that
    /// changes them logs "restart needed" and keeps the old values.
    var fixedSettings: [(key: String, value: String)] {
        [
            ("server.host", server.host), ("server.port", "\(server.port)"),
            ("server.metrics", server.metrics.map { "\($0.host):\($0.port)" } ?? "off"),
            ("server.header_timeout_seconds", "\(server.headerTimeoutSeconds)"),
            ("server.body_timeout_seconds", "\(server.bodyTimeoutSeconds)"),
            ("server.idle_timeout_seconds", "\(server.idleTimeoutSeconds)"), ("server.max_connections", "\(server.maxConnections)"),
            ("server.max_connections_per_address", "\(server.maxConnectionsPerAddress)"),
            ("database.path", databaseURL == nil ? databasePath : ""), ("database.url", databaseURL ?? ""),
            ("amocrm.subdomain", amocrm.subdomain), ("amocrm.domain", amocrm.domain), ("amocrm.base_url", amocrm.baseURL ?? ""),
            // Secrets are compared, never logged: only the key names are.
            ("amocrm.client_id", amocrm.clientID ?? ""), ("amocrm.client_secret", amocrm.clientSecret ?? ""),
            ("amocrm.redirect_uri", amocrm.redirectURI ?? ""), ("amocrm.long_lived_token", amocrm.longLivedToken ?? ""),
            ("amocrm.tokens_file", amocrm.tokensFile), ("amocrm.requests_per_second", "\(amocrm.requestsPerSecond)"),
            ("amocrm.timeout_seconds", "\(amocrm.timeoutSeconds)"), ("amocrm.arrival_allowance_ms", "\(amocrm.arrivalAllowanceMs)"),
            ("amocrm.follow_referer", "\(amocrm.followReferer)"),
            ("amocrm.webhook.public_url", amocrm.webhook?.publicURL ?? ""), ("amocrm.webhook.key", amocrm.webhook?.key ?? ""),
            ("amocrm.events_poll_minutes", "\(amocrm.eventsPollMinutes)"),
            // The status_back writer and the event poll run only when some stage is written back,
            // and the shop's lane only when something is written back or reconciled.
            ("sources.NAME.status_back or orders.status_back (none ↔ some)", "\(writesStatusBack)"),
            ("the shop's lane: status_back, amocrm.webhook or sources.NAME.reconcile_minutes (none ↔ some)", "\(usesShopLane)"),
            ("contacts.default_country_code", contacts.defaultCountryCode),
            ("contacts.index_refresh_seconds", "\(contacts.indexRefreshSeconds)"),
            ("contacts.index_sync_requests_per_second", "\(contacts.indexSyncRequestsPerSecond)"),
        ]
    }

    /// The fixed settings that differ between `self` (the running config) and `new`.
    package func restartNeeded(for new: Config) -> [String] {
        zip(fixedSettings, new.fixedSettings).filter { $0.value != $1.value }.map(\.0.key)
    }
}

extension Config {
    /// `new` with this config's fixed settings: what a reload puts in force.
    package func reloaded(with new: Config) -> Config {
        var effective = new
        effective.server.host = server.host
        effective.server.port = server.port
        effective.server.metrics = server.metrics
        effective.server.headerTimeoutSeconds = server.headerTimeoutSeconds
        effective.server.bodyTimeoutSeconds = server.bodyTimeoutSeconds
        effective.server.idleTimeoutSeconds = server.idleTimeoutSeconds
        effective.server.maxConnections = server.maxConnections
        effective.server.maxConnectionsPerAddress = server.maxConnectionsPerAddress
        effective.databasePath = databasePath
        effective.databaseURL = databaseURL
        effective.amocrm = amocrm
        effective.contacts.defaultCountryCode = contacts.defaultCountryCode
        effective.contacts.indexRefreshSeconds = contacts.indexRefreshSeconds
        effective.contacts.indexSyncRequestsPerSecond = contacts.indexSyncRequestsPerSecond
        return effective
    }
}

/// A config never prints its secrets (tokens, client secret, intake tokens): logs of the
/// service group and error messages describe values with these.
extension Config: CustomStringConvertible, CustomDebugStringConvertible {
    package var description: String { "Config(account: \(amocrm.subdomain), database: \(databaseName))" }
    package var debugDescription: String { description }
}

extension Config.AmoCRM: CustomStringConvertible, CustomDebugStringConvertible {
    package var description: String { "AmoCRM(account: \(apiBase), secrets redacted)" }
    package var debugDescription: String { description }
}
