import AmoAPI
import AmoSyncCore
import Foundation

/// One entity of a batch request, sent with `request_id` = its index.
struct BatchEntry<Body: BatchBody> {
    var items: [DeliveryItem]
    var body: Body
    var active: Bool { items.contains(where: \.active) }
}

/// Sends a step's entities in one request and sorts amoCRM's answer back to them: refused
/// values are dropped and the rest re-sent, an entry amoCRM refuses fails alone, and an answer
/// that does not fit the request is not believed.
struct BatchSender: Sendable {
    let client: AmoClient
    /// Told when a matched contact turns out to be deleted in amoCRM.
    let index: ContactIndex?
    let progress: any BatchProgress
    /// Stamps the attempts it records.
    let clock: any TimeSource

    /// Sends the active entries in one request (`request` builds it from their bodies) and
    /// returns the answer's items by entry index (`sort` checks them). Validation errors name
    /// their items by `request_id`: a value amoCRM refuses (an unknown option, a deleted
    /// responsible user) is dropped with a warning and the item re-sent; other errors fail only
    /// their item. A refusal that names no item is split in halves, so that one bad entity
    /// cannot sink the others.
    func sendBatch<Body, Answer: Sendable, Item>(
        _ entries: inout [BatchEntry<Body>], names: [Int: String], request: ([Body]) throws -> Endpoint<Answer>,
        sort: (Answer, Int) throws(AnswerMismatch) -> [Int: Item]
    ) async throws -> [Int: Item] {
        let active = entries.indices.filter { entries[$0].active }
        return try await send(active, in: &entries, names: names, request: request, sort: sort).answered
    }

    /// What one (part of a) batch came to.
    private struct Outcome<Item> {
        var answered: [Int: Item] = [:]
        /// amoCRM refused the whole request without naming an entry.
        var wholeRefused = false
    }

    private func send<Body, Answer: Sendable, Item>(
        _ selected: [Int], in entries: inout [BatchEntry<Body>], names: [Int: String], request: ([Body]) throws -> Endpoint<Answer>,
        sort: (Answer, Int) throws(AnswerMismatch) -> [Int: Item]
    ) async throws -> Outcome<Item> {
        var label = ""
        for _ in 0..<4 {
            let indices = selected.filter { entries[$0].active }
            if indices.isEmpty { return Outcome() }
            let endpoint = try request(Self.bodies(indices, of: entries))
            label = endpoint.label
            do {
                return Outcome(answered: try await exchange(endpoint, count: entries.count, sort: sort))
            } catch let error as AmoError where error.kind == .rejected {
                let byEntry = Dictionary(grouping: error.validationErrors) { $0.requestID.flatMap(Int.init) ?? -1 }
                guard !byEntry.isEmpty, byEntry[-1] == nil else {
                    return try await split(indices, in: &entries, names: names, error: error, request: request, sort: sort)
                }
                for (index, problems) in byEntry where indices.contains(index) {
                    if await !tolerate(problems, in: &entries[index], names: names) {
                        let attempt = attempt(for: error, entry: entries[index], names: names, only: problems)
                        entries[index].items.forEach { $0.fail(attempt) }
                    }
                }
            }
        }
        throw AmoError(
            kind: .transient, request: label, status: 400, title: nil, detail: "validation kept failing after dropping refused values")
    }

    /// The entries' bodies, each with its index as `request_id`.
    private static func bodies<Body>(_ indices: [Int], of entries: [BatchEntry<Body>]) -> [Body] {
        indices.map { index in
            var body = entries[index].body
            body.requestID = "\(index)"
            return body
        }
    }

    /// Sends one batch request and sorts the answer by entry; an answer that does not fit the
    /// request is not believed: a write's outcome is then unknown, a read is retried.
    private func exchange<Answer: Sendable, Item>(
        _ endpoint: Endpoint<Answer>, count: Int, sort: (Answer, Int) throws(AnswerMismatch) -> [Int: Item]
    ) async throws -> [Int: Item] {
        let answer = try await client.send(endpoint)
        do { return try sort(answer, count) } catch {
            throw AmoError(
                kind: endpoint.isIdempotent ? .transient : .unknownOutcome, request: endpoint.label, status: nil, title: nil,
                detail: "\(error)")
        }
    }

    /// A refusal naming no entry: each half is sent on its own. When both halves are refused
    /// whole too, it is not one entity's fault: all of them fail, without splitting further.
    private func split<Body, Answer: Sendable, Item>(
        _ indices: [Int], in entries: inout [BatchEntry<Body>], names: [Int: String], error: AmoError,
        request: ([Body]) throws -> Endpoint<Answer>, sort: (Answer, Int) throws(AnswerMismatch) -> [Int: Item]
    ) async throws -> Outcome<Item> {
        guard indices.count > 1 else { return refuse(indices, of: entries, names: names, error: error) }
        let half = indices.count / 2
        let left = try await send(Array(indices[..<half]), in: &entries, names: names, request: request, sort: sort)
        if left.wholeRefused, half > 1 {
            // Did the other half fare better? If it is refused whole as well, nothing is split further.
            return try await sendOnce(Array(indices[half...]), in: &entries, names: names, request: request, sort: sort)
        }
        let right = try await send(Array(indices[half...]), in: &entries, names: names, request: request, sort: sort)
        return Outcome(answered: left.answered.merging(right.answered) { $1 }, wholeRefused: left.wholeRefused && right.wholeRefused)
    }

    /// One request for these entries; refused whole, they fail (no further split).
    private func sendOnce<Body, Answer: Sendable, Item>(
        _ indices: [Int], in entries: inout [BatchEntry<Body>], names: [Int: String],
        request: ([Body]) throws -> Endpoint<Answer>, sort: (Answer, Int) throws(AnswerMismatch) -> [Int: Item]
    ) async throws -> Outcome<Item> {
        let endpoint = try request(Self.bodies(indices, of: entries))
        do {
            return Outcome(answered: try await exchange(endpoint, count: entries.count, sort: sort))
        } catch let refused as AmoError where refused.kind == .rejected {
            return refuse(indices, of: entries, names: names, error: refused)
        }
    }

    /// These entries were refused whole: each of their jobs fails with amoCRM's answer.
    private func refuse<Body, Item>(
        _ indices: [Int], of entries: [BatchEntry<Body>], names: [Int: String], error: AmoError
    ) -> Outcome<Item> {
        for index in indices { entries[index].items.forEach { $0.fail(attempt(for: error, entry: entries[index], names: names)) } }
        return Outcome(wholeRefused: true)
    }

    /// Drops refused values (custom field values, the stage, the responsible user, a deleted
    /// linked contact) with a warning. False when an error cannot be fixed that way.
    private func tolerate<Body>(_ problems: [AmoValidationError], in entry: inout BatchEntry<Body>, names: [Int: String]) async -> Bool {
        var dropFields: Set<Int> = []
        var dropContactFields: Set<Int> = []
        for problem in problems {
            switch problem.error.field {
            case .linkedContact(let index):
                guard let replacement = entry.items.first?.newContact, let gone = entry.body.replaceLinkedContact(index, with: replacement)
                else { return false }
                // The matched contact was deleted in amoCRM: forget it and create the customer anew.
                try? await self.index?.forget(gone)
                entry.items.forEach { item in
                    item.update { $0.contactID = nil }
                    item.warn("contact #\(gone) no longer exists in amoCRM: a new contact was created")
                }
            case .status:
                guard let (status, pipeline) = entry.body.dropStatus() else { return false }
                entry.items.forEach {
                    $0.warn(
                        "status \(status) refused by amoCRM for pipeline \(pipeline.map(String.init) ?? "?") (\(problem.code)): "
                            + "the pipeline's first stage is used")
                }
            case .responsibleUser:
                let user = entry.body.dropResponsibleUser().map(String.init) ?? ""
                entry.items.forEach {
                    $0.warn("responsible user \(user) refused by amoCRM (\(problem.code)): the account's default is used")
                }
            case .customField(let index, let part) where part.hasPrefix("values"):
                dropFields.insert(index)
                let name = Self.fieldName(entry.body.customFieldsValues, index: index, names: names)
                entry.items.forEach { $0.warn("\(name): value refused by amoCRM (\(problem.code): \(problem.detail)), dropped") }
            case .embeddedContact(_, let inner):
                guard case .customField(let index, let part) = inner.path, part.hasPrefix("values"), entry.body.embeddedContact != nil
                else {
                    return false
                }
                dropContactFields.insert(index)
                let name = Self.fieldName(entry.body.embeddedContact?.customFieldsValues, index: index, names: names)
                entry.items.forEach { $0.warn("contact \(name): value refused by amoCRM (\(problem.code): \(problem.detail)), dropped") }
            default:
                return false
            }
        }
        if !dropFields.isEmpty, var list = entry.body.customFieldsValues {
            for index in dropFields.sorted(by: >) where list.indices.contains(index) { list.remove(at: index) }
            entry.body.customFieldsValues = list
        }
        if !dropContactFields.isEmpty, var contact = entry.body.embeddedContact, var list = contact.customFieldsValues {
            for index in dropContactFields.sorted(by: >) where list.indices.contains(index) { list.remove(at: index) }
            contact.customFieldsValues = list
            entry.body.embeddedContact = contact
        }
        return true
    }

    static func fieldName(_ values: [CustomFieldValues]?, index: Int, names: [Int: String]) -> String {
        let item = values?[safe: index]
        if let id = item?.fieldID { return names[id].map { "field \($0) (#\(id))" } ?? "field #\(id)" }
        return "field \(item?.fieldCode ?? "#\(index)")"
    }

    /// An attempt record naming the offending fields.
    func attempt<Body>(for error: AmoError, entry: BatchEntry<Body>, names: [Int: String], only: [AmoValidationError]? = nil) -> Attempt {
        let issues = (only ?? error.validationErrors).map { problem -> ValidationIssue in
            var path = problem.path
            if case .customField(let index, _) = problem.error.field {
                path += " (\(Self.fieldName(entry.body.customFieldsValues, index: index, names: names)))"
            }
            return ValidationIssue(path: path, code: problem.code, detail: problem.detail)
        }
        let summary = issues.map { "\($0.path): \($0.code)" }.joined(separator: "; ")
        return Attempt(
            at: clock.date, durationMs: 0, outcome: .failed, httpStatus: error.status, request: error.request,
            error: summary.isEmpty ? error.description : "\(error.description) — \(summary)", validationErrors: issues)
    }

    /// An entry amoCRM neither created nor refused: retry it rather than call it done.
    func unanswered<Body>(_ entries: [BatchEntry<Body>], request: String, missing: (JobProgress) -> Bool) {
        for item in entries.flatMap(\.items) where item.active && missing(item.job.progress) {
            progress.retryOrFail(
                item,
                Attempt(
                    at: clock.date, durationMs: 0, outcome: .retry, request: request,
                    error: "amoCRM's answer did not include this entity"))
        }
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
