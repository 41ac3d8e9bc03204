import AmoSyncCore
import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A fake amoCRM in a child process (`amosync fake-amocrm`, or the drain benchmark's own fake),
/// which prints `fake amoCRM on http://HOST:PORT` as its first line. Its arrival clock then does
/// not wait for this process's threads, as the real amoCRM's would not: rate checks use it.
package final class FakeAmoProcess: @unchecked Sendable {
    package let port: Int
    /// The long-lived token the fake accepts.
    package let token: String
    let process = Process()

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts `executable arguments` and waits for the port line; stderr goes to `log` if given.
    package init(executable: URL, arguments: [String], token: String, log: String? = nil) throws {
        self.token = token
        process.executableURL = executable
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        if let log {
            FileManager.default.createFile(atPath: log, contents: nil)
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        }
        try process.run()
        var text = ""
        while !text.contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let line = text.split(separator: "\n").first, line.hasPrefix(Self.banner),
            let port = line.split(separator: ":").last.flatMap({ Int($0) })
        else {
            process.terminate()
            throw FakeAmoProcessError(description: "\(executable.path) did not start a fake amoCRM: \(text)")
        }
        self.port = port
    }

    /// The first line a fake prints.
    package static let banner = "fake amoCRM on http://"

    /// The fake's whole state (`GET /__fake/state`).
    package func state() async throws -> JSONValue {
        let (body, _) = try await URLSession.shared.data(from: URL(string: baseURL + "/__fake/state")!)
        return try JSONValue.parse(body)
    }

    /// Counts and request figures without the entities (`GET /__fake/summary`).
    package func summary() async throws -> JSONValue {
        let (body, _) = try await URLSession.shared.data(from: URL(string: baseURL + "/__fake/summary")!)
        return try JSONValue.parse(body)
    }

    /// The fake's request figures.
    package func requestStats() async throws -> FakeAmoState.RequestStats {
        guard let stats = try await summary()["requests"].flatMap(FakeAmoState.RequestStats.init(json:)) else {
            throw FakeAmoProcessError(description: "no request figures in /__fake/summary")
        }
        return stats
    }

    package func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

struct FakeAmoProcessError: Error, CustomStringConvertible {
    var description: String
}
