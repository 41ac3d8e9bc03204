import Foundation
import Logging
import Testing

@testable import AmoSyncCLI
@testable import AmoSyncCore
@testable import TestSupport

/// The lines `--log-format text` (journald) and `--log-format json` (log shippers) write.
@Suite struct LogFormatTests {
    @Test func textLinesCarryTheSyslogPriorityAndSortedMetadata() {
        var handler = LineLogHandler(label: "amosync", level: .info, format: .text)
        handler[metadataKey: "worker"] = "1"
        let line = handler.line(
            level: .warning, message: "amoCRM request failed, will retry",
            metadata: ["amo.status": "503", "error": "HTTP 503 \"Service Unavailable\"", "empty": ""])
        let expected =
            #"<4>WARNING amoCRM request failed, will retry amo.status=503 empty="" "#
            + #"error="HTTP 503 \"Service Unavailable\"" worker=1"#
        #expect(line == expected)
        #expect(handler.line(level: .error, message: "x", metadata: nil).hasPrefix("<3>ERROR x"))
        #expect(handler.line(level: .debug, message: "x", metadata: nil).hasPrefix("<7>DEBUG x"))
    }

    @Test func jsonLinesAreOneObjectWithLevelMessageLoggerAndTime() throws {
        let handler = LineLogHandler(label: "amosync", level: .info, format: .json)
        let line = handler.line(level: .info, message: "job queued\nforged", metadata: ["job.id": "42"])
        #expect(!line.contains("\n"))
        let json = try JSONValue.parse(Data(line.utf8))
        #expect(json["level"] == "info")
        #expect(json["message"] == "job queued\nforged")
        #expect(json["logger"] == "amosync")
        #expect(json["job.id"] == "42")
        #expect(json["time"]?.stringValue.flatMap(ISO8601DateFormatter().date(from:)) != nil)
    }
}
