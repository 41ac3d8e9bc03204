import AmoSyncCore
import Foundation

/// One entity of a batch request, sent with `request_id` = its index.
struct BatchEntry {
    var items: [DeliveryItem]
    var body: [String: JSONValue]
    var active: Bool { items.contains(where: \.active) }
}

/// Sends a step's entities in one request and sorts amoCRM's answer back to them: refused
/// values are dropped and the rest re-sent, an entry amoCRM refuses fails alone.
struct BatchSender: Sendable {
    let client: AmoClient
    /// Told when a matched contact turns out to be deleted in amoCRM.
    let index: ContactIndex?
    let progress: any BatchProgress

    /// Sends one batch request. Validation errors name their items by `request_id`: a value
    /// amoCRM refuses (an unknown option, a deleted responsible user) is dropped with a
    /// warning and the item re-sent; other errors fail only their item. Returns the
    /// answer's embedded entities by entry index.
    func sendBatch(
        _ method: String, _ path: String, _ entries: inout [BatchEntry], embedded: String?, names: [Int: String]
    ) async throws -> [Int: JSONValue] {
        for _ in 0..<4 {
            let indices = entries.indices.filter { entries[$0].active }
            if indices.isEmpty { return [:] }
            let body: JSONValue = .array(
                indices.map { index in
                    var object = entries[index].body
                    object["request_id"] = .string("\(index)")
                    return .object(object)
                })
            do {
                let response = try await client.send(method, path, body: body)
                var result: [Int: JSONValue] = [:]
                let list = embedded.map { response.json?.value(at: "_embedded.\($0)")?.arrayValue ?? [] } ?? response.json?.arrayValue ?? []
                for item in list {
                    // leads/complex answers request_id as an array of strings: with duplicate
                    // control, one result may answer several entries.
                    let requestIDs =
                        item["request_id"]?.textValue.map { [$0] } ?? item["request_id"]?.arrayValue?.compactMap(\.textValue) ?? []
                    for index in requestIDs.compactMap(Int.init) { result[index] = item }
                }
                return result
            } catch let error as AmoError where error.kind == .rejected {
                let byEntry = Dictionary(grouping: error.validationErrors) { $0.requestID.flatMap(Int.init) ?? -1 }
                guard !byEntry.isEmpty, byEntry[-1] == nil else {
                    for index in indices {
                        entries[index].items.forEach { $0.fail(attempt(for: error, entry: entries[index], names: names)) }
                    }
                    return [:]
                }
                for (index, problems) in byEntry where entries.indices.contains(index) {
                    if await !tolerate(problems, in: &entries[index], names: names) {
                        let attempt = attempt(for: error, entry: entries[index], names: names, only: problems)
                        entries[index].items.forEach { $0.fail(attempt) }
                    }
                }
            }
        }
        throw AmoError(
            kind: .transient, request: "\(method) \(path)", status: 400, title: nil,
            detail: "validation kept failing after dropping refused values")
    }

    /// Drops refused values (custom field values, responsible user) with a warning.
    /// False when an error cannot be fixed that way.
    private func tolerate(_ problems: [AmoValidationError], in entry: inout BatchEntry, names: [Int: String]) async -> Bool {
        var dropFields: Set<Int> = []
        for problem in problems {
            let parts = problem.path.split(separator: ".")
            if problem.path == "_embedded.contacts.0.id", let replacement = entry.items.first?.newContact,
                let gone = entry.body["_embedded"]?.value(at: "contacts.0.id")?.intValue
            {
                // The matched contact was deleted in amoCRM: forget it and create the customer anew.
                try? await index?.forget(gone)
                var embedded = entry.body["_embedded"]?.objectValue ?? [:]
                embedded["contacts"] = [.object(replacement)]
                entry.body["_embedded"] = .object(embedded)
                entry.items.forEach { item in
                    item.update { $0.contactID = nil }
                    item.warn("contact #\(gone) no longer exists in amoCRM: a new contact was created")
                }
            } else if problem.path == "status_id", entry.body["status_id"] != nil {
                let status = entry.body["status_id"]?.textValue ?? ""
                entry.body["status_id"] = nil
                entry.items.forEach {
                    $0.warn(
                        "status \(status) refused by amoCRM for pipeline \(entry.body["pipeline_id"]?.textValue ?? "?") "
                            + "(\(problem.code)): the pipeline's first stage is used"
                    )
                }
            } else if problem.path == "responsible_user_id" {
                let user = entry.body["responsible_user_id"]?.textValue ?? ""
                entry.body["responsible_user_id"] = nil
                entry.items.forEach {
                    $0.warn("responsible user \(user) refused by amoCRM (\(problem.code)): the account's default is used")
                }
            } else if parts.count >= 3, parts[0] == "custom_fields_values", let index = Int(parts[1]), parts[2] == "values" {
                dropFields.insert(index)
                let name = Self.fieldName(entry.body, index: index, names: names)
                entry.items.forEach { $0.warn("\(name): value refused by amoCRM (\(problem.code): \(problem.detail)), dropped") }
            } else {
                return false
            }
        }
        if !dropFields.isEmpty, var list = entry.body["custom_fields_values"]?.arrayValue {
            for index in dropFields.sorted(by: >) where list.indices.contains(index) { list.remove(at: index) }
            entry.body["custom_fields_values"] = .array(list)
        }
        return true
    }

    static func fieldName(_ body: [String: JSONValue], index: Int, names: [Int: String]) -> String {
        let item = body["custom_fields_values"]?.arrayValue?[safe: index]
        if let id = item?["field_id"]?.intValue { return names[id].map { "field \($0) (#\(id))" } ?? "field #\(id)" }
        return "field \(item?["field_code"]?.textValue ?? "#\(index)")"
    }

    /// An attempt record naming the offending fields.
    func attempt(for error: AmoError, entry: BatchEntry, names: [Int: String], only: [AmoValidationError]? = nil) -> Attempt {
        let issues = (only ?? error.validationErrors).map { problem -> ValidationIssue in
            var path = problem.path
            let parts = path.split(separator: ".")
            if parts.count >= 2, parts[0] == "custom_fields_values", let index = Int(parts[1]) {
                path += " (\(Self.fieldName(entry.body, index: index, names: names)))"
            }
            return ValidationIssue(path: path, code: problem.code, detail: problem.detail)
        }
        let summary = issues.map { "\($0.path): \($0.code)" }.joined(separator: "; ")
        return Attempt(
            at: Date(), durationMs: 0, outcome: .failed, httpStatus: error.status, request: error.request,
            error: summary.isEmpty ? error.description : "\(error.description) — \(summary)", validationErrors: issues)
    }

    /// An entry amoCRM neither created nor refused: retry it rather than call it done.
    func unanswered(_ entries: [BatchEntry], request: String, missing: (JobProgress) -> Bool) {
        for item in entries.flatMap(\.items) where item.active && missing(item.job.progress) {
            progress.retryOrFail(
                item,
                Attempt(
                    at: Date(), durationMs: 0, outcome: .retry, request: request,
                    error: "amoCRM's answer did not include this entity"))
        }
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
