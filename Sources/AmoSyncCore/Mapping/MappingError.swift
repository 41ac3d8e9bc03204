/// Input that cannot become a job (HTTP 422 with these details).
package struct MappingError: Error, Sendable, Equatable {
    package struct Detail: Sendable, Equatable, Codable {
        package var path: String
        package var problem: String
        init(path: String, problem: String) {
            self.path = path
            self.problem = problem
        }
    }

    package var details: [Detail]

    init(_ details: [Detail]) { self.details = details }

    /// `path: problem; path: problem`, for a log line or a skipped job's reason.
    package var summary: String {
        details.map { $0.path.isEmpty ? $0.problem : "\($0.path): \($0.problem)" }.joined(separator: "; ")
    }
    init(path: String, problem: String) { self.details = [.init(path: path, problem: problem)] }
}
