import Foundation
@testable import AmoSyncCore

/// An entity's custom field values as the fake holds them, by field code (or name).
func customFields(_ entity: JSONValue) -> [String: [String]] {
    var result: [String: [String]] = [:]
    for field in entity["custom_fields_values"]?.arrayValue ?? [] {
        let name = field["field_code"]?.stringValue ?? field["field_name"]?.stringValue ?? ""
        result[name] = (field["values"]?.arrayValue ?? []).compactMap { $0["value"]?.textValue }
    }
    return result
}

/// The base64 HMAC-SHA256 of a body: the signature WooCommerce and Shopify send with a webhook.
func webhookSignature(_ body: Data, _ secret: String) -> String {
    Data(Hashing.hmacSHA256(key: Array(secret.utf8), message: Array(body))).base64EncodedString()
}
