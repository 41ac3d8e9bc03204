import Foundation
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import AmoCRMFake

extension FakeAmoProcess: FakeAccount {
    /// `amosync fake-amocrm` on a free port, its log in `log`.
    static func amosync(latencyMs: Int = 0, log: String) throws -> FakeAmoProcess {
        let token = JWT.make(["exp": .number(JSONNumber(Date().addingTimeInterval(86_400).timeIntervalSince1970.rounded()))])
        return try FakeAmoProcess(
            executable: try DaemonProcess.binary(),
            arguments: ["fake-amocrm", "--port", "0", "--token", token, "--latency-ms", "\(latencyMs)", "--log-level", "warning"],
            token: token, log: log)
    }

    /// Everything the fake holds (`GET /__fake/state`).
    func snapshot() async throws -> JSONValue {
        let answer = try await URLSessionTransport().send(
            OutgoingRequest(method: "GET", url: URL(string: baseURL + "/__fake/state")!, timeout: 60))
        return try JSONValue.parse(answer.body)
    }
}
