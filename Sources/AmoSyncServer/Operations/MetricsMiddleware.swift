import Hummingbird
import AmoSyncCore

/// Counts intake requests by route template and status.
struct MetricsMiddleware: RouterMiddleware {
    package typealias Context = IntakeContext
    let metrics: DaemonMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            let response = try await next(request, context)
            if context.endpointPath != "/metrics" {
                metrics.intakeRequest(route: context.endpointPath ?? "unmatched", status: Int(response.status.code))
            }
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.intakeRequest(route: context.endpointPath ?? "unmatched", status: Int(status))
            throw error
        }
    }
}
