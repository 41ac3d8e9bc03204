import AmoSyncCore

/// The stage amoCRM puts a new lead in when none is given: the main pipeline's first stage that
/// is neither "incoming leads" (type 1) nor won/lost (142/143). `amosync init` writes it down.
package struct MainStage: Sendable, Equatable {
    package var pipelineID: Int
    package var pipeline: String
    package var statusID: Int
    package var status: String

    /// Reads the account's pipelines (one request); nil when no pipeline has such a stage.
    package static func fetch(client: AmoClient) async throws -> MainStage? {
        let answer = try await client.send("GET", "/api/v4/leads/pipelines")
        let pipelines = answer.json?.value(at: "_embedded.pipelines")?.arrayValue ?? []
        guard let main = pipelines.first(where: { $0["is_main"]?.boolValue == true }) ?? pipelines.first,
            let pipelineID = main["id"]?.intValue
        else { return nil }
        let statuses = main.value(at: "_embedded.statuses")?.arrayValue ?? []
        let open = statuses.first { status in
            guard let id = status["id"]?.intValue else { return false }
            return (status["type"]?.intValue ?? 0) == 0 && id != 142 && id != 143
        }
        guard let open, let statusID = open["id"]?.intValue else { return nil }
        return MainStage(
            pipelineID: pipelineID, pipeline: main["name"]?.stringValue ?? "", statusID: statusID, status: open["name"]?.stringValue ?? "")
    }
}
