import Foundation
import Logging
import Synchronization
import AmoSyncCore
import AmoSyncServer
import AmoCRMFake

/// One line per message on stdout, for journald (no timestamp: journald adds its own) or
/// as JSON for log shippers. Metadata is printed as `key=value`, sorted.
struct LineLogHandler: LogHandler {
    enum Format: String, Sendable, CaseIterable { case text, json }

    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    let label: String
    let format: Format
    let timestamps: Bool
    static let lock = Mutex(())

    init(label: String, level: Logger.Level = .info, format: Format = .text, timestamps: Bool = false) {
        self.label = label
        self.logLevel = level
        self.format = format
        self.timestamps = timestamps
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let line = line(level: event.level, message: event.message, metadata: event.metadata)
        Self.lock.withLock { _ in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
    }

    /// One event as the line written: never more than one line, whatever the values hold.
    func line(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?) -> String {
        var all = metadata
        if let extra { all.merge(extra) { $1 } }
        switch format {
        case .text:
            var text = "<\(Self.syslogPriority(level))>\(level.rawValue.uppercased()) \(Self.escaped("\(message)"))"
            if timestamps { text = ISO8601DateFormatter().string(from: Date()) + " " + text }
            for key in all.keys.sorted() { text += " \(Self.escaped(key))=\(Self.quote("\(all[key]!)"))" }
            return text
        case .json:
            var object: [String: JSONValue] = [
                "level": .string(level.rawValue), "message": .string("\(message)"),
                "logger": .string(label), "time": .string(ISO8601DateFormatter().string(from: Date())),
            ]
            for (key, value) in all { object[key] = .string("\(value)") }
            return JSONValue.object(object).canonicalString
        }
    }

    /// sd-daemon priority prefixes, so journald records the level.
    static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    /// A value as one token: quoted when it holds a space, `"` or `=` (or is empty), and
    /// always escaped, so that input carried in metadata can never start a line of its own.
    static func quote(_ value: String) -> String {
        let text = escaped(value)
        return text.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) || text.isEmpty
            ? "\"" + text.replacingOccurrences(of: "\"", with: "\\\"") + "\"" : text
    }

    /// `\n`, `\r`, `\t` and `\\` as escapes; other control characters (C0, DEL, C1, and the
    /// Unicode line and paragraph separators) as `\u{…}`.
    static func escaped(_ value: String) -> String {
        guard value.unicodeScalars.contains(where: needsEscape) else { return value }
        var out = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            case "\t": out.append(contentsOf: "\\t".unicodeScalars)
            case "\\": out.append(contentsOf: "\\\\".unicodeScalars)
            case _ where needsEscape(scalar): out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16))}".unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar == "\\" || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
    }
}
