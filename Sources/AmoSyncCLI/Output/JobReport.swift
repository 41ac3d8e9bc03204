import Foundation
import AmoSyncCore
import AmoSyncServer
import AmoCRMFake

/// What `jobs list`, `jobs show` and `stats` print, as text tables or JSON documents
/// (README, "Command line"). Pure functions, so tests check the exact output.
enum JobReport {
    /// `2026-11-20T10:00:00Z`
    static var iso: ISO8601DateFormatter { ISO8601DateFormatter() }

    static func date(_ date: Date?) -> JSONValue { date.map { .string(iso.string(from: $0)) } ?? .null }

    static func listEntry(_ job: Job) -> [String: JSONValue] {
        [
            "id": .number(JSONNumber(job.id)), "kind": .string(job.kind.rawValue), "source": .string(job.source),
            "external_id": .string(job.externalID), "state": .string(job.state.rawValue), "attempts": .number(JSONNumber(job.attempts)),
            "run_at": date(job.runAt), "created_at": date(job.createdAt), "last_error": job.lastError.map(JSONValue.string) ?? .null,
        ]
    }

    static func listJSON(_ jobs: [Job]) -> JSONValue { ["jobs": .array(jobs.map { .object(listEntry($0)) })] }

    static func listTable(_ jobs: [Job], now: Date = Date()) -> String {
        guard !jobs.isEmpty else { return "no jobs" }
        let rows = jobs.map { job -> [String] in
            let next = job.state == .queued ? relative(job.runAt, now: now) : "-"
            return [
                "\(job.id)", job.kind.rawValue, safe(job.source), safe(job.externalID), job.state.rawValue, "\(job.attempts)", next,
                oneLine(job.lastError ?? ""),
            ]
        }
        return table(["ID", "KIND", "SOURCE", "EXTERNAL ID", "STATE", "ATTEMPTS", "NEXT RUN", "LAST ERROR"], rows)
    }

    static func showJSON(_ job: Job, attempts: [Attempt], config: Config) -> JSONValue {
        var object = listEntry(job)
        object["input"] = Redactor.redact(job.input)
        object["plan"] = job.plan.json
        object["warnings"] = .array(job.warnings.map(JSONValue.string))
        var result: [String: JSONValue] = [
            "lead_id": job.progress.leadID.map { .number(JSONNumber($0)) } ?? .null,
            "contact_id": job.progress.contactID.map { .number(JSONNumber($0)) } ?? .null,
            "note_id": job.progress.noteID.map { .number(JSONNumber($0)) } ?? .null,
        ]
        if let task = job.progress.taskID { result["task_id"] = .number(JSONNumber(task)) }
        if let uid = job.progress.incomingUID { result["incoming_uid"] = .string(uid) }
        if let user = job.progress.assignedUserID { result["assigned_user_id"] = .number(JSONNumber(user)) }
        if job.progress.productsLinked { result["products_linked"] = true }
        if let lead = job.progress.leadID { result["lead_url"] = .string(config.amocrm.leadURL(lead)) }
        if let contact = job.progress.contactID {
            result["contact_url"] = .string("https://\(config.amocrm.subdomain).\(config.amocrm.domain)/contacts/detail/\(contact)")
        }
        object["result"] = .object(result)
        object["attempt_log"] = .array(
            attempts.map { attempt in
                [
                    "at": date(attempt.at), "duration_ms": .number(JSONNumber(attempt.durationMs)),
                    "outcome": .string(attempt.outcome.rawValue),
                    "http_status": attempt.httpStatus.map { .number(JSONNumber($0)) } ?? .null,
                    "request": attempt.request.map(JSONValue.string) ?? .null, "error": attempt.error.map(JSONValue.string) ?? .null,
                    "validation_errors": .array(
                        attempt.validationErrors.map {
                            ["path": .string($0.path), "code": .string($0.code), "detail": .string($0.detail)]
                        }),
                ]
            })
        return .object(object)
    }

    static func showText(_ job: Job, attempts: [Attempt], config: Config) -> String {
        var lines = [
            "Job \(job.id): \(job.kind.rawValue) \(safe(job.externalID)) from \(safe(job.source))",
            "State:    \(job.state.rawValue), \(job.attempts) attempt(s)"
                + (job.state == .queued ? ", next run \(iso.string(from: job.runAt))" : ""),
            "Created:  \(iso.string(from: job.createdAt))",
        ]
        if let error = job.lastError { lines.append("Error:    \(safe(error))") }
        if let lead = job.progress.leadID { lines.append("Lead:     \(lead)  \(config.amocrm.leadURL(lead))") }
        if let contact = job.progress.contactID {
            lines.append("Contact:  \(contact)  https://\(config.amocrm.subdomain).\(config.amocrm.domain)/contacts/detail/\(contact)")
        }
        if let uid = job.progress.incomingUID { lines.append("Incoming: \(safe(uid)) (in the pipeline's incoming leads until accepted)") }
        if let user = job.progress.assignedUserID { lines.append("Assigned: user \(user) (rotation)") }
        if let task = job.progress.taskID { lines.append("Task:     \(task)") }
        if !job.warnings.isEmpty { lines += ["", "Warnings:"] + job.warnings.map { "  - \(safe($0))" } }
        lines += ["", "Attempts:"]
        if attempts.isEmpty { lines.append("  none yet") }
        for attempt in attempts {
            var line = "  \(iso.string(from: attempt.at))  \(attempt.outcome.rawValue)  \(attempt.durationMs) ms"
            if let request = attempt.request { line += "  \(safe(request))" }
            if let status = attempt.httpStatus { line += "  HTTP \(status)" }
            lines.append(line)
            if let error = attempt.error { lines.append("      \(safe(error))") }
            for issue in attempt.validationErrors { lines.append("      \(safe(issue.path)): \(safe(issue.code)) — \(safe(issue.detail))") }
        }
        lines += [
            "", "Plan:", indent(TerminalText.escape(job.plan.json.prettyString, keepNewlines: true)), "", "Input:",
            indent(TerminalText.escape(Redactor.redact(job.input).prettyString, keepNewlines: true)),
        ]
        return lines.joined(separator: "\n")
    }

    static func changes(_ changes: [JobChange], verb: String) -> String {
        let done = changes.filter { $0.to != nil && $0.from != $0.to }.count
        let lines = changes.map { change -> String in
            let transition = change.from.map { from in "\(from.rawValue) → \(change.to?.rawValue ?? "?")" } ?? ""
            let note = change.note.map(safe)
            return "job \(change.id): \(transition)\(note.map { transition.isEmpty ? $0 : " (\($0))" } ?? "")"
        }
        return (lines + ["\(done) job(s) \(verb)"]).joined(separator: "\n")
    }

    static func indent(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
    }

    static func oneLine(_ text: String, max: Int = 80) -> String {
        let flat = safe(text.replacingOccurrences(of: "\n", with: " "))
        return flat.count > max ? String(flat.prefix(max - 1)) + "…" : flat
    }

    /// One untrusted value on one line, with nothing a terminal would act on (`TerminalText`).
    static func safe(_ text: String) -> String { TerminalText.escape(text) }

    static func relative(_ date: Date, now: Date) -> String {
        let seconds = Int(date.timeIntervalSince(now).rounded())
        if seconds <= 0 { return "now" }
        if seconds < 120 { return "in \(seconds)s" }
        if seconds < 7200 { return "in \(seconds / 60)m" }
        return "in \(seconds / 3600)h"
    }

    /// A plain text table with left-aligned columns.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}

/// Hides values of secret-looking keys in stored inputs before they are shown.
enum Redactor {
    static let markers = ["password", "token", "secret", "api_key", "apikey", "authorization"]

    static func redact(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            return .object(
                Dictionary(
                    uniqueKeysWithValues: object.map { key, item in
                        markers.contains { key.lowercased().contains($0) } ? (key, .string("[redacted]")) : (key, redact(item))
                    }))
        case .array(let items): return .array(items.map(redact))
        default: return value
        }
    }
}
