import Foundation
@testable import AmoSyncCore

/// `amosync fake-amocrm` as a child process: amoCRM's side of the wire is then not slowed
/// by the test process's own load, as the real amoCRM would not be. Its arrival counts are
/// what rate tests check.
final class FakeProcess: FakeAccount, @unchecked Sendable {
    let process = Process()
    let port: Int
    let token: String
    var baseURL: String { "http://127.0.0.1:\(port)" }

    init(latencyMs: Int = 0, log: String) async throws {
        token = JWT.make(["exp": .number(Date().addingTimeInterval(86_400).timeIntervalSince1970.rounded())])
        process.executableURL = try DaemonProcess.binary()
        process.arguments = ["fake-amocrm", "--port", "0", "--token", token, "--latency-ms", "\(latencyMs)", "--log-level", "warning"]
        let output = Pipe()
        process.standardOutput = output
        FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try process.run()
        // The first line names the bound port: "fake amoCRM on http://127.0.0.1:PORT".
        let reader = output.fileHandleForReading
        port = try await Task.detached {
            var text = ""
            while !text.contains("\n") {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
            }
            guard let port = text.split(separator: "\n").first?.split(separator: ":").last.flatMap({ Int($0) }) else {
                throw Timeout(description: "fake-amocrm did not print its port: \(text)")
            }
            return port
        }.value
    }

    /// The fake's `GET /__fake/state` → `requests`.
    func requestStats() async throws -> (total: Int, throttled: Int, maxPerSecond: Int) {
        let answer = try await URLSessionTransport().send(OutgoingRequest(method: "GET", url: URL(string: baseURL + "/__fake/state")!))
        let requests = try JSONValue.parse(answer.body)["requests"]
        return (requests?["total"]?.intValue ?? -1, requests?["throttled"]?.intValue ?? -1, requests?["max_per_second"]?.intValue ?? -1)
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
