/// Names the `status_back` jobs share.
enum StatusBackJob {
    /// The source of every `status_back` job: they wait for each other per lead, never for an order's jobs.
    static let source = "amocrm"

    /// The external id of a lead's `status_back` jobs.
    static func externalID(lead: Int) -> String { "lead:\(lead)" }
}
