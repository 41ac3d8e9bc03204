import Foundation
@testable import AmoSyncCore

/// The config the mapping tests map with: pipelines by category, a status map, lead and
/// contact fields, UTM fields and three forms.
enum MappingFixtures {
    static func config(_ change: (inout JSONValue) -> Void = { _ in }) -> Config {
        var json: JSONValue = [
            "database": ["path": "/tmp/q.sqlite3"],
            "amocrm": ["subdomain": "example", "long_lived_token": "t"],
            "intake": ["tokens": ["0123456789abcdef0123"]],
            "orders": [
                "pipeline_id": 100, "status_id": 101, "responsible_user_id": 9,
                "categories": [
                    "40": ["pipeline_id": 200, "status_id": 201, "responsible_user_id": 7],
                    "12": ["pipeline_id": 300, "status_id": 301],
                ],
                "status_map": ["paid": 555],
                "lead_fields": [
                    "goods": "Товары", "delivery.cost": "Стоимость доставки", "address.city": "Город", "comment": "Комментарий",
                ],
                "contact_fields": ["address.city": "Город"],
                "tags": ["shop"],
            ],
            "utm_fields": ["utm_source": "UTM_SOURCE", "gclid": "GCLID"],
            "forms": [
                "callback": [
                    "lead_name": "Заявка: {name}", "lead_fields": ["message": "Сообщение"], "required_fields": ["phone"], "tags": ["site"],
                ],
                "profile": ["create_lead": false],
            ],
        ]
        change(&json)
        return try! Config.parse(json.canonicalData, environment: [:])
    }
}
