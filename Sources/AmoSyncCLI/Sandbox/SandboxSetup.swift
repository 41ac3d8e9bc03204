import Foundation
import AmoSyncCore
import AmoSyncServer
import AmoCRMFake

/// The zero-set-up demo: a config that points the daemon at the built-in fake amoCRM.
enum SandboxSetup {
    static let intakeToken = "sandbox-intake-token-please-change"
    static let hookKey = "sandbox-amocrm-hook-key-0123456789abcdef"
    static let wooSecret = "sandbox-woocommerce-webhook-secret"
    static let consumerKey = "ck_sandbox"
    static let consumerSecret = "cs_sandbox"

    /// A demo config (JSON) for a fake on `fakePort`, storing files under `directory`.
    static func configJSON(port: Int, fakePort: Int, shopPort: Int, directory: String, token: String) -> String {
        """
        {
          "server": { "host": "127.0.0.1", "port": \(port), "metrics": "off" },
          "database": { "path": "\(directory)/queue.sqlite3" },
          "amocrm": {
            "subdomain": "example", "base_url": "http://127.0.0.1:\(fakePort)",
            "long_lived_token": "\(token)", "tokens_file": "\(directory)/tokens.json", "requests_per_second": 7,
            "webhook": { "public_url": "http://127.0.0.1:\(port)", "key": "\(hookKey)" }
          },
          "intake": { "tokens": ["\(intakeToken)"] },
          "worker": { "backoff_base_seconds": 2, "backoff_max_seconds": 60 },
          "orders": {
            "pipeline_id": 3177727, "status_id": 32392159, "lead_name": "Заказ #{id}",
            "categories": { "40": { "pipeline_id": 23456, "status_id": 567890, "responsible_user_id": 123453 } },
            "status_map": { "paid": 32392161, "shipped": 32392162, "completed": 142, "cancelled": 143,
                            "processing": 32392159, "on-hold": 32392161 },
            "lead_fields": { "goods": "Товары", "delivery.name": "Доставка", "payment.name": "Оплата",
                             "address.city": "Город", "comment": "Комментарий" },
            "tags": ["shop", "sandbox"], "note": true
          },
          "sources": {
            "woo": { "type": "woocommerce", "secret": "\(wooSecret)",
                     "api": { "url": "https://shop.example", "base_url": "http://127.0.0.1:\(shopPort)",
                              "consumer_key": "\(consumerKey)", "consumer_secret": "\(consumerSecret)" },
                     "status_back": { "142": "completed", "143": "cancelled", "32392161": "on-hold" } }
          },
          "utm_fields": { "utm_source": "UTM_SOURCE", "utm_medium": "UTM_MEDIUM", "utm_campaign": "UTM_CAMPAIGN" },
          "forms": {
            "callback": {
              "pipeline_id": 3177727, "status_id": 32392160, "lead_name": "Заявка с сайта: {name}",
              "lead_fields": { "message": "Сообщение" }, "required_fields": ["phone"], "tags": ["site-form"], "public": true
            }
          }
        }
        """
    }

    /// Ready-to-paste commands for the running sandbox.
    static func instructions(port: Int, fakePort: Int, shopPort: Int, configPath: String) -> String {
        let base = "http://127.0.0.1:\(port)"
        return """

            amosync sandbox is running: the daemon on \(base), a fake amoCRM on http://127.0.0.1:\(fakePort),
            a fake WooCommerce shop on http://127.0.0.1:\(shopPort).

            1. Post an order:

            curl -sS -X POST \(base)/v1/orders \\
              -H 'Authorization: Bearer \(intakeToken)' -H 'Content-Type: application/json' \\
              -d '{"id":"1042","customer":{"name":"Anna Ivanova","phone":"8 (912) 555-01-02","email":"anna@example.org"},
                   "items":[{"id":"77","name":"Kettle","sku":"K-77","price":5100,"quantity":1,"categories":[40,12,3]}],
                   "delivery":{"name":"Courier","cost":390},"payment":{"name":"Card"},"total":5490,
                   "utm":{"source":"yandex","medium":"cpc"}}'

            2. Post a website form (public: no token needed):

            curl -sS -X POST \(base)/v1/forms/callback -d 'name=Oleg&phone=%2B7 912 555 01 02&message=Call me back'

            3. See what amoCRM now holds (leads, contacts, notes, request log):

            curl -sS http://127.0.0.1:\(fakePort)/__fake/state

            4. Inspect the queue:

            amosync jobs list --config \(configPath)
            amosync jobs show 1 --config \(configPath)
            amosync stats --config \(configPath)

            5. The loop back to the shop: a customer checks out in the fake WooCommerce shop (its webhook
               brings the order in), a manager wins the lead in amoCRM, and the shop's order is completed:

            curl -sS -X POST http://127.0.0.1:\(shopPort)/__shop/orders -d '{"name":"Boris","phone":"+7 912 555 07 07"}'
            amosync jobs list --kind order --config \(configPath)     # its job; jobs show ID names the lead
            curl -sS -X POST http://127.0.0.1:\(fakePort)/__fake/leads/LEAD_ID/move -d '{"status_id":142}'
            curl -sS http://127.0.0.1:\(shopPort)/__shop/orders/1001          # "completed", and a note naming the stage
            amosync jobs list --kind status_back --config \(configPath)

            Make amoCRM fail for a while and watch the retries:

            curl -sS -X POST http://127.0.0.1:\(fakePort)/__fake/faults -d '{"fail_next":{"count":5,"status":503}}'

            Press Ctrl-C to stop.
            """
    }
}
