import Foundation
import Logging
import Synchronization

/// One line per message on stdout, for journald (no timestamp: journald adds its own) or
/// as JSON for log shippers. Metadata is printed as `key=value`, sorted.
public struct LineLogHandler: LogHandler {
    public enum Format: String, Sendable, CaseIterable { case text, json }

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    let label: String
    let format: Format
    let timestamps: Bool
    static let lock = Mutex(())

    public init(label: String, level: Logger.Level = .info, format: Format = .text, timestamps: Bool = false) {
        self.label = label
        self.logLevel = level
        self.format = format
        self.timestamps = timestamps
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let line: String
        switch format {
        case .text:
            var text = "<\(Self.syslogPriority(event.level))>\(event.level.rawValue.uppercased()) \(event.message)"
            if timestamps { text = ISO8601DateFormatter().string(from: Date()) + " " + text }
            for key in all.keys.sorted() { text += " \(key)=\(Self.quote("\(all[key]!)"))" }
            line = text
        case .json:
            var object: [String: JSONValue] = ["level": .string(event.level.rawValue), "message": .string("\(event.message)"),
                                               "logger": .string(label), "time": .string(ISO8601DateFormatter().string(from: Date()))]
            for (key, value) in all { object[key] = .string("\(value)") }
            line = JSONValue.object(object).canonicalString
        }
        Self.lock.withLock { _ in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
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

    static func quote(_ value: String) -> String {
        value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) || value.isEmpty
            ? "\"" + value.replacingOccurrences(of: "\"", with: "\\\"") + "\"" : value
    }
}
