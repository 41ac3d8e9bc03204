/// Reading platform payloads, where blank strings mean "not given".
enum WebhookText {
    /// The trimmed text of `object[key]`, nil when missing or blank.
    static func field(_ object: [String: JSONValue], _ key: String) -> String? {
        object[key]?.textValue.flatMap { $0.trimmed.isEmpty ? nil : $0.trimmed }
    }
}
