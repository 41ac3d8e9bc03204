import AmoSyncCore
import Foundation

/// Shopify's webhook subscriptions (`webhookSubscriptions`, `webhookSubscriptionCreate`): what
/// `amosync check` lists, and what `--fix` subscribes again when Shopify removed it (it does after
/// retrying a failing delivery for 48 hours).
extension ShopifyClient {
    static let webhooksQuery = """
        query AmosyncWebhooks { webhookSubscriptions(first: 100) { nodes { id topic uri } } }
        """
    static let subscribeMutation = """
        mutation AmosyncSubscribe($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) { \
        webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) { \
        webhookSubscription { id topic uri } userErrors { field message } } }
        """
    /// A connection of 100 objects: 2 + 100 points requested (refunded to what is returned).
    static let listCost = 102.0

    func webhooks() async throws(ShopError) -> [ShopWebhook] {
        let data = try await session.run(Self.webhooksQuery, variables: [:], cost: Self.listCost, label: label + " webhookSubscriptions")
        return (data["webhookSubscriptions"]?["nodes"]?.arrayValue ?? []).compactMap(Self.webhook)
    }

    func repair(_ topic: String, hook: ShopWebhook?, url: String?) async throws(ShopError) -> ShopWebhook? {
        guard hook == nil, let url else { return nil }
        let operation = "webhookSubscriptionCreate"
        let data = try await session.run(
            Self.subscribeMutation,
            variables: ["topic": .string(Self.enumTopic(topic)), "webhookSubscription": ["uri": .string(url), "format": "JSON"]],
            cost: Self.mutationCost, label: label + " " + operation)
        let errors = (data[operation]?["userErrors"]?.arrayValue ?? []).compactMap { $0["message"]?.stringValue }
        guard errors.isEmpty, let created = data[operation]?["webhookSubscription"].flatMap(Self.webhook) else {
            throw ShopError(
                kind: .rejected, request: label + " " + operation, status: 200,
                detail: errors.isEmpty
                    ? "Shopify answered without the subscription" : RefererPolicy.printable(errors.joined(separator: "; ")))
        }
        return created
    }

    /// `orders/create` ↔ `ORDERS_CREATE`.
    static func enumTopic(_ topic: String) -> String { topic.replacingOccurrences(of: "/", with: "_").uppercased() }
    static func restTopic(_ topic: String) -> String { topic.lowercased().replacingOccurrences(of: "_", with: "/") }

    static func webhook(_ json: JSONValue) -> ShopWebhook? {
        guard let id = json["id"]?.stringValue, let topic = json["topic"]?.stringValue else { return nil }
        // A subscription exists while Shopify delivers to it: it removes the ones it gave up on.
        return ShopWebhook(id: id, topic: restTopic(topic), status: "active", deliveryURL: json["uri"]?.stringValue ?? "")
    }
}
