import Foundation
import Testing
@testable import AmoSyncCLI
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import TestSupport

/// What reaches the operator: human output a hostile value cannot drive, `init` that follows
/// no link, and files too large to read refused by their size.
@Suite struct OperatorSafetyTests {
    static let hostile = "1042\u{1B}]0;owned\u{07}\u{1B}[2J\u{7F}\u{9B}31m\u{202E}gnp.exe\u{202C}"

    static func job(_ external: String, error: String?, warnings: [String]) -> Job {
        Job(
            id: 7, kind: .order, source: "orders", externalID: external, state: .failed,
            input: ["id": .string(external), "comment": .string(Self.hostile)],
            plan: DeliveryPlan(key: "orders:\(external)", note: Self.hostile), lastError: error, warnings: warnings)
    }

    static func isTerminalSafe(_ text: String) -> Bool {
        !text.unicodeScalars.contains { $0 != "\n" && TerminalText.isUnsafe($0) }
    }

    @Test func humanOutputCannotDriveTheTerminal() throws {
        let config = try Config.parse(testConfig(fake: StaticFake(), dir: TempDir()).canonicalData, environment: [:])
        let job = Self.job(Self.hostile, error: "amoCRM said: \(Self.hostile)\nsecond line", warnings: [Self.hostile])
        let attempt = Attempt(
            at: Date(), durationMs: 1, outcome: .failed, httpStatus: 400, request: "POST /api/v4/leads/complex", error: Self.hostile,
            validationErrors: [ValidationIssue(path: Self.hostile, code: "X", detail: Self.hostile)])
        let list = JobReport.listTable([job])
        let show = JobReport.showText(job, attempts: [attempt], config: config)
        for text in [list, show, TerminalText.escape(show, keepNewlines: true)] {
            #expect(Self.isTerminalSafe(text), "\(text.debugDescription)")
        }
        #expect(list.contains("1042\\u{1B}]0;owned\\u{7}\\u{1B}[2J\\u{7F}\\u{9B}31m\\u{202E}gnp.exe\\u{202C}"), "shown, not acted on")
        #expect(!show.contains("\nsecond line"), "a value cannot start a line of its own")
        // --json stays exact: the value reads back as it was stored.
        let json = JobReport.showJSON(job, attempts: [attempt], config: config)
        #expect(json["external_id"]?.stringValue == Self.hostile)
        #expect(try JSONValue.parse(Data(json.prettyString.utf8))["external_id"]?.stringValue == Self.hostile)
    }

    @Test func initRefusesASymbolicLinkAndReadsNothingThroughIt() throws {
        let dir = TempDir()
        let secret = dir.file("elsewhere.txt")
        try Data("PRIVATE=do-not-copy\n".utf8).write(to: URL(fileURLWithPath: secret))
        let envPath = dir.file("amosync.env")
        #expect(symlink(secret, envPath) == 0)
        let files = StarterFiles(configPath: dir.file("config.json"), envPath: envPath, packagedExample: dir.file("none"))
        #expect {
            try files.checkConfigIsFree()
        } throws: { error in
            "\(error)".contains("\(envPath) is a symbolic link")
        }
        #expect(throws: StarterFiles.Failure.self) { _ = try files.writeEnv([("AMOSYNC_INTAKE_TOKEN", "x")]) }
        #expect(try String(contentsOfFile: secret, encoding: .utf8) == "PRIVATE=do-not-copy\n", "the target is untouched")
        var info = stat()
        #expect(lstat(envPath, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK, "the link is left as it was")
        #expect(!FileManager.default.fileExists(atPath: dir.file("config.json")), "nothing half-written")
    }

    @Test func aConfigFileLargerThanTheLimitIsRefusedByItsSize() throws {
        let dir = TempDir()
        let path = dir.file("config.json")
        let catalog = (0..<400_000).map { "\"SKU-\($0)\": [40, 12, 3]" }.joined(separator: ",")
        try Data("{\"catalog\": {\"skus\": {\(catalog)}}}".utf8).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try ConfigFile.load(path: path, environment: [:])
        } throws: { error in
            "\(error)".contains("the limit is 8.0 MB")
        }
    }
}
