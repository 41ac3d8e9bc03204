import Testing
@testable import AmoSyncCore
@Test func v() { #expect(AmoSync.version == "0.1.0") }
