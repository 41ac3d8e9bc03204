import Foundation
import GRDB

/// A row of `job_attempts`: one delivery attempt of a job.
struct AttemptRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "job_attempts"

    var id: Int64?
    var jobID: Int64
    var at: Double
    var durationMs: Int
    var outcome: String
    var httpStatus: Int?
    var request: String?
    var error: String?
    var validationErrors: String

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, jobID = "job_id", at, durationMs = "duration_ms", outcome, httpStatus = "http_status", request, error
        case validationErrors = "validation_errors"
    }
}

extension AttemptRecord {
    init(_ attempt: Attempt, jobID: Int64) {
        self.jobID = jobID
        at = attempt.at.timeIntervalSince1970
        durationMs = attempt.durationMs
        outcome = attempt.outcome.rawValue
        httpStatus = attempt.httpStatus
        request = attempt.request
        error = attempt.error
        validationErrors = JobRecord.encodeJSON(attempt.validationErrors)
    }

    var attempt: Attempt {
        Attempt(
            at: Date(timeIntervalSince1970: at), durationMs: durationMs, outcome: Attempt.Outcome(rawValue: outcome) ?? .retry,
            httpStatus: httpStatus, request: request, error: error,
            validationErrors: (try? JSONDecoder().decode([ValidationIssue].self, from: Data(validationErrors.utf8))) ?? [])
    }
}
