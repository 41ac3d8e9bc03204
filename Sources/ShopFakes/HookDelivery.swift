import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One webhook delivery as a shop makes it: a JSON POST with the platform's headers, 5 seconds
/// at most; the HTTP status it got (0: no answer).
enum HookDelivery {
    static func post(_ body: Data, to url: URL, headers: [String: String]) async -> Int {
        var request = URLRequest(url: url, timeoutInterval: 5)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        return ((try? await URLSession.shared.data(for: request))?.1 as? HTTPURLResponse)?.statusCode ?? 0
    }
}
