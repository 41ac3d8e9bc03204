import Foundation
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import TestFixtures

/// `amosync serve` (or another command) as a real child process, for crash and shutdown tests.
final class DaemonProcess {
    let process = Process()

    /// The `amosync` executable next to the test binary (`swift build` puts both in one folder).
    static func binary() throws -> URL {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("amosync"),
            Repository.file(".build/debug/amosync"),
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw Timeout(description: "amosync executable not found (run `swift build` first): \(candidates.map(\.path))")
        }
        return found
    }

    convenience init(config: String, log: String) throws {
        try self.init(arguments: ["serve", "--config", config, "--log-level", "info"], log: log)
    }

    /// `amosync ARGUMENTS…`, its output and errors appended to `log`.
    init(arguments: [String], log: String) throws {
        process.executableURL = try Self.binary()
        process.arguments = arguments
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    /// The exit status once the process ends by itself; nil (after a SIGKILL) when it is
    /// still running after `limit`. Waits on a thread of its own, off Swift's pool.
    func exitStatus(within limit: Duration) async -> Int32? {
        let process = process
        let watchdog = Thread {
            Thread.sleep(forTimeInterval: limit.seconds)
            if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        }
        watchdog.start()
        return await withCheckedContinuation { continuation in
            Thread {
                process.waitUntilExit()
                continuation.resume(returning: process.terminationReason == .exit ? process.terminationStatus : nil)
            }.start()
        }
    }

    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// A test that ends early (an error thrown before its `terminate`) leaves no daemon running.
    deinit { if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) } }

    /// SIGTERM, then the exit status (nil when it did not exit within `timeout`).
    func terminate(timeout: Duration) async -> Int32? {
        Foundation.kill(process.processIdentifier, SIGTERM)
        return await exitStatus(within: timeout)
    }

    func signal(_ number: Int32) { Foundation.kill(process.processIdentifier, number) }

    /// The intake port, from the "amosync listening … port=N" line of its log.
    static func port(fromLog log: String) async throws -> Int {
        var port: Int?
        try await eventually(timeout: .seconds(60)) {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            let line = text.split(separator: "\n").last { $0.contains("amosync listening") }
            port = line?.split(separator: " ").first { $0.hasPrefix("port=") }.flatMap { Int($0.dropFirst(5)) }
            return port != nil
        }
        return port!
    }
}
