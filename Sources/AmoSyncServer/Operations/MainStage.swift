import AmoAPI
import AmoSyncCore

/// The stage amoCRM puts a new lead in when none is given: the main pipeline's first stage that
/// is neither "incoming leads" nor won/lost. `amosync init` writes it down.
package struct MainStage: Sendable, Equatable {
    package var pipelineID: Int
    package var pipeline: String
    package var statusID: Int
    package var status: String

    /// Reads the account's pipelines (one request); nil when no pipeline has such a stage.
    package static func fetch(client: AmoClient) async throws -> MainStage? {
        let pipelines = try await client.send(Endpoints.pipelines()).items
        guard let main = pipelines.first(where: { $0.isMain == true }) ?? pipelines.first else { return nil }
        guard let open = main.statuses.first(where: { !$0.isIncoming && !Status.isClosed($0.id) }) else { return nil }
        return MainStage(pipelineID: main.id, pipeline: main.name, statusID: open.id, status: open.name)
    }
}
