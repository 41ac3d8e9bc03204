import AmoSyncCore

/// The config `amosync init` writes: one account, orders, one private form, secrets as `env:`
/// references to `amosync.env` (never in the config file itself).
struct StarterConfig {
    enum Auth {
        case longLivedToken
        case oauth(clientID: String, secretEnv: String, redirectURI: String)
    }

    /// Names of the variables the starter config reads from the env file.
    enum Variable {
        static let intakeToken = "AMOSYNC_INTAKE_TOKEN"
        static let longLivedToken = "AMOCRM_LONG_LIVED_TOKEN"
        static let hookKey = "AMOSYNC_AMOCRM_HOOK_KEY"
    }

    var subdomain: String
    var domain = "amocrm.ru"
    var baseURL: String?
    var auth: Auth
    var stateDirectory = "/var/lib/amosync"
    var host = "127.0.0.1"
    var port = 8080
    /// The stage new orders and forms go to; nil: amoCRM's default (the main pipeline's first stage).
    var stage: (pipelineID: Int, statusID: Int)?
    /// Where amoCRM reaches this amosync (`amocrm.webhook.public_url`); nil: no webhook.
    var publicURL: String?

    var json: JSONValue {
        let russian = domain == "amocrm.ru"
        var amocrm: [String: JSONValue] = [
            "subdomain": .string(subdomain), "domain": .string(domain),
            "tokens_file": .string(path("tokens.json")), "requests_per_second": 7,
        ]
        if let baseURL { amocrm["base_url"] = .string(baseURL) }
        if let publicURL { amocrm["webhook"] = ["public_url": .string(publicURL), "key": .string("env:" + Variable.hookKey)] }
        switch auth {
        case .longLivedToken:
            amocrm["long_lived_token"] = .string("env:" + Variable.longLivedToken)
        case .oauth(let clientID, let secretEnv, let redirectURI):
            amocrm["client_id"] = .string(clientID)
            amocrm["client_secret"] = .string("env:" + secretEnv)
            amocrm["redirect_uri"] = .string(redirectURI)
        }
        var orders: [String: JSONValue] = [
            "lead_name": .string(russian ? "Заказ #{id}" : "Order #{id}"), "tags": ["shop"], "note": true,
        ]
        if let stage {
            orders["pipeline_id"] = .number(JSONNumber(stage.pipelineID))
            orders["status_id"] = .number(JSONNumber(stage.statusID))
        }
        let callback: JSONValue = [
            "create_lead": true,
            "lead_name": .string(russian ? "Заявка с сайта: {form}" : "Website request: {form}"),
            "contact": ["name": "name", "phone": "phone", "email": "email"],
            "required_fields": ["phone"], "tags": ["site-form"],
        ]
        return [
            "server": ["host": .string(host), "port": .number(JSONNumber(port)), "metrics": "127.0.0.1:9464"],
            "database": ["path": .string(path("queue.sqlite3"))],
            "amocrm": .object(amocrm),
            "intake": ["tokens": [.string("env:" + Variable.intakeToken)]],
            // A number written without a country code is read as Russian on amocrm.ru accounts.
            "contacts": russian ? ["match_by": ["phone", "email"], "default_country_code": "7"] : ["match_by": ["phone", "email"]],
            "orders": .object(orders),
            "forms": ["callback": callback],
        ]
    }

    private func path(_ file: String) -> String {
        stateDirectory.hasSuffix("/") ? stateDirectory + file : stateDirectory + "/" + file
    }
}
