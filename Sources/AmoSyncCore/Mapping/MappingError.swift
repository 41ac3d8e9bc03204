/// Input that cannot become a job (HTTP 422 with these details).
public struct MappingError: Error, Sendable, Equatable {
    public struct Detail: Sendable, Equatable, Codable {
        public var path: String
        public var problem: String
        public init(path: String, problem: String) {
            self.path = path
            self.problem = problem
        }
    }

    public var details: [Detail]

    public init(_ details: [Detail]) { self.details = details }
    public init(path: String, problem: String) { self.details = [.init(path: path, problem: problem)] }
}
