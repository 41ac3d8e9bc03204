import Foundation
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import TestSupport
@testable import TestFixtures

/// What the fuzz run sent to the webhook routes before any signature was checked.
@Suite struct HookTransportTests {
    @Test(arguments: ["/v1/hooks/woo", "/v1/hooks/tilda", "/v1/hooks/shop"])
    func brokenChunkingIsABadRequestNotAnError(path: String) async throws {
        let capture = LogCapture()
        let daemon = try await RunningDaemon.start(fake: StaticFake(), logger: capture.logger()) { json in
            json.set(
                "sources",
                [
                    "woo": ["type": "woocommerce", "secret": "wc-secret"], "shop": ["type": "shopify", "secret": "shpss"],
                    "tilda": ["type": "tilda", "form": "callback"],
                ])
        }
        let client = try RawClient(port: daemon.port)
        client.send("POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
        client.shutdownWrite()
        let status = await client.readStatus()
        #expect(status == nil || status == 400, "\(status.map(String.init) ?? "closed")")
        #expect(!capture.all.contains { $0.hasPrefix("error") }, "\(capture.all)")
        await #expect(try daemon.store.list(JobFilter()).isEmpty)
        await daemon.stop()
    }
}
