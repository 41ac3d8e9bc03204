import Foundation
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import AmoCRMFake
@testable import AmoSyncCLI
@testable import TestSupport
@testable import TestFixtures

/// Leases that outlive a slow amoCRM, a starved thread pool, reloads and ports.
@Suite(.serialized) struct LifecycleTests {
    /// amoCRM answers every request after 2 s while leases last 5 s: a batch (five or six
    /// requests in sequence) takes longer than its lease twice over. Renewed leases keep other lanes off its jobs, so every
    /// order is one lead and one note, and every customer one contact.
    @Test func aBatchSlowerThanItsLeaseKeepsIt() async throws {
        let fake = try await RunningFake.start(overHTTP: true, latencyMs: 2000)
        defer { fake.stop() }
        let dir = TempDir()
        let orders = 200, customers = 200  // one batch per lane
        let daemon = try await RunningDaemon.start(fake: fake, dir: dir) { json in
            json.set(
                "worker",
                [
                    "batch_size": 50, "concurrency": 4, "lease_seconds": 5, "backoff_base_seconds": 0.2,
                    "backoff_max_seconds": 1, "max_attempts": 50,
                ])
            json.set("amocrm.timeout_seconds", 30)
        }
        let mapper = Mapper(config: daemon.daemon.config)
        _ = try await daemon.store.enqueue(
            try (0..<orders).map { index in
                let input = sampleOrder(id: "S-\(index)", phone: "+7 912 400 \(String(format: "%04d", index % customers))", email: nil)
                return .versioned(try mapper.mapOrder(input), input: input)
            })
        try await daemon.waitIdle(timeout: .seconds(300))
        await daemon.stop()
        let state = await fake.state.snapshot()
        let leads = state["leads"]?.arrayValue ?? []
        let notes = state["notes"]?.arrayValue ?? []
        #expect(leads.count == orders, "one lead per order")
        #expect(notes.count == orders, "one note per order")
        #expect(Set(notes.compactMap { $0["entity_id"]?.intValue }).count == orders, "one note per lead")
        #expect((state["contacts"]?.arrayValue ?? []).count == customers, "one contact per customer")
        #expect(try await daemon.store.stats().counts[.done] == orders)
    }

    /// A backlog of one customer's form and contact jobs while amoCRM answers nothing but
    /// 429: the daemon (the real process, Swift's pool at this machine's size) keeps answering
    /// `/healthz` and intake within a second, and SIGTERM ends it within the shutdown limit.
    @Test func aThrottledBacklogOfOneCustomerDoesNotStarveTheDaemon() async throws {
        let fake = try await RunningFake.start(
            overHTTP: true,
            faults: {
                var f = FakeFaults(); f.failNext = [.init(count: 1_000_000, status: 429)]; return f
            }())
        defer { fake.stop() }
        let dir = TempDir()
        var json = testConfig(fake: fake, dir: dir)
        json.set("server.metrics", "off")
        json.set("worker", ["batch_size": 50, "concurrency": 4, "backoff_base_seconds": 0.2, "backoff_max_seconds": 1])
        let path = dir.file("config.json")
        try json.canonicalData.write(to: URL(fileURLWithPath: path))
        let config = try Config.parse(json.canonicalData, environment: [:])
        let store = try SQLiteStore(path: config.databasePath)
        let mapper = Mapper(config: config)
        _ = try await store.enqueue(
            try (0..<2_500).map { index in
                let input: JSONValue = [
                    "phone": "+7 912 555 0000", "email": "busy@example.org", "name": "Busy", "message": .string("#\(index)"),
                ]
                let mapped =
                    index % 2 == 0
                    ? try mapper.mapForm("callback", values: input, externalID: "starve-\(index)") : try mapper.mapContact(input)
                return NewJob(mapped: mapped, input: input, dedupeKey: "starve:\(index)")
            })
        let log = dir.file("daemon.log")
        let daemon = try DaemonProcess(config: path, log: log)
        let port = try await DaemonProcess.port(fromLog: log)
        let transport = URLSessionTransport()
        var slow: [String] = []
        for round in 0..<40 {
            for (path, body) in [("/healthz", nil), ("/v1/orders", sampleOrder(id: "live-\(round)").canonicalData)] as [(String, Data?)] {
                let request = OutgoingRequest(
                    method: body == nil ? "GET" : "POST", url: URL(string: "http://127.0.0.1:\(port)\(path)")!,
                    headers: ["Authorization": "Bearer \(RunningDaemon.intakeToken)", "Content-Type": "application/json"],
                    body: body, timeout: 1)
                do {
                    let status = try await transport.send(request).status
                    if status >= 300 { slow.append("\(path) answered \(status) in round \(round)") }
                } catch { slow.append("\(path) did not answer within 1 s in round \(round): \(error)") }
            }
            try await Task.sleep(for: .milliseconds(100))  // pacing, not synchronization
        }
        #expect(slow.isEmpty, "\(slow)")
        #expect(await fake.state.requestStats().throttled > 0, "amoCRM was answering 429s meanwhile")
        #expect(await daemon.terminate(timeout: .seconds(20)) == 0, "SIGTERM ends it within the shutdown limit")
    }

    /// Serve, stats and jobs list started together on a file that does not exist yet.
    @Test func serveAndCommandsStartedTogetherOnANewFileAllSucceed() async throws {
        let binary = try DaemonProcess.binary()
        var failures: [String] = []
        for round in 0..<20 {
            let dir = TempDir()
            var json = testConfig(fake: StaticFake(), dir: dir)
            json.set("server.metrics", "off")
            let path = dir.file("config.json")
            try json.canonicalData.write(to: URL(fileURLWithPath: path))
            let serve = try DaemonProcess(config: path, log: dir.file("daemon.log"))
            let commands = [["stats"], ["jobs", "list"], ["stats", "--json"]]
            let processes = try commands.map { arguments -> (Process, Pipe) in
                let process = Process()
                process.executableURL = binary
                process.arguments = arguments + ["--config", path]
                let output = Pipe()
                process.standardOutput = output
                process.standardError = output
                try process.run()
                return (process, output)
            }
            for (process, output) in processes {
                let (text, status) = await ProcessOutput.read(of: process, pipe: output)
                if status != 0 {
                    failures.append("round \(round) \(process.arguments!.joined(separator: " ")): \(text)")
                }
            }
            _ = try await DaemonProcess.port(fromLog: dir.file("daemon.log"))
            let status = await serve.terminate(timeout: .seconds(20))
            if status != 0 {
                failures.append(
                    "round \(round) serve: exit \(status.map(String.init) ?? "none"): "
                        + "\((try? String(contentsOfFile: dir.file("daemon.log"), encoding: .utf8)) ?? "")"
                )
            }
        }
        #expect(failures.isEmpty, "\(failures)")
    }
}

/// `systemctl reload` (SIGHUP) and `Daemon.reload()`.
@Suite struct ReloadTests {
    static func write(_ json: JSONValue, to path: String) throws {
        try json.canonicalData.write(to: URL(fileURLWithPath: path))
    }

    /// A daemon that reloads from `dir/config.json`, and the config it started with.
    static func start(in dir: TempDir) async throws -> (daemon: RunningDaemon, json: JSONValue, path: String) {
        let path = dir.file("config.json")
        let daemon = try await RunningDaemon.start(
            fake: StaticFake(), dir: dir,
            options: { options in
                options.reloadConfig = { try ConfigFile.load(path: path, environment: [:]) }
            })
        return (daemon, testConfig(fake: StaticFake(), dir: dir), path)
    }

    /// A valid file takes effect for the next request: a new intake token and a new form; a
    /// changed port is reported as needing a restart and not applied.
    @Test func aValidReloadTakesEffectForTheNextRequest() async throws {
        let started = try await Self.start(in: TempDir())
        let (daemon, path) = (started.daemon, started.path)
        var json = started.json
        defer { Task { await daemon.stop() } }
        #expect(try await daemon.send("/v1/forms/quote", json: ["phone": "+79125550102"]).status == 404)
        #expect(try await daemon.send("/v1/orders", json: sampleOrder(id: "R-1"), token: "second-token-0123456789").status == 401)

        json.set("intake.tokens", [.string(RunningDaemon.intakeToken), "second-token-0123456789"])
        json.set("forms.quote", ["public": true])
        json.set("server.port", 1)
        json.set("worker.concurrency", 3)
        try Self.write(json, to: path)
        #expect(daemon.daemon.reload() == .applied(restartNeeded: ["server.port"]))

        #expect(try await daemon.send("/v1/forms/quote", json: ["phone": "+79125550102"]).status == 202)
        #expect(try await daemon.send("/v1/orders", json: sampleOrder(id: "R-1"), token: "second-token-0123456789").status == 202)
        #expect(daemon.daemon.rules.current.server.port == 0, "the port a restart would change stays")
        #expect(daemon.daemon.rules.current.worker.concurrency == 3)
    }

    /// An invalid file is refused with its key paths and changes nothing.
    @Test func anInvalidReloadChangesNothing() async throws {
        let started = try await Self.start(in: TempDir())
        let (daemon, path) = (started.daemon, started.path)
        var json = started.json
        defer { Task { await daemon.stop() } }
        json.set("intake.tokens", ["second-token-0123456789"])
        json.set("worker.batch_size", 100_000)
        json.set("forms.quote", ["public": "yes"])
        try Self.write(json, to: path)
        guard case .refused(let problems) = daemon.daemon.reload() else {
            Issue.record("an invalid config was applied")
            return
        }
        #expect(problems.contains("worker.batch_size"), "\(problems)")
        #expect(problems.contains("forms.quote.public"), "\(problems)")
        #expect(try await daemon.send("/v1/orders", json: sampleOrder(id: "R-2")).status == 202, "the old token still works")
        #expect(try await daemon.send("/v1/orders", json: sampleOrder(id: "R-3"), token: "second-token-0123456789").status == 401)
        #expect(try await daemon.send("/v1/forms/quote", json: ["phone": "+79125550102"]).status == 404)
    }

    /// The real process: SIGHUP reads the file again; the log says so.
    @Test func sighupReloadsTheRunningDaemon() async throws {
        let dir = TempDir()
        var json = testConfig(fake: StaticFake(), dir: dir)
        json.set("server.metrics", "off")
        let path = dir.file("config.json")
        try Self.write(json, to: path)
        let log = dir.file("daemon.log")
        let process = try DaemonProcess(config: path, log: log)
        let port = try await DaemonProcess.port(fromLog: log)
        json.set("forms.quote", ["public": true])
        try Self.write(json, to: path)
        process.signal(SIGHUP)
        try await eventually {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("configuration reloaded")
        }
        let response = try await URLSessionTransport().send(
            OutgoingRequest(
                method: "POST", url: URL(string: "http://127.0.0.1:\(port)/v1/forms/quote")!, headers: ["Content-Type": "application/json"],
                body: Data(#"{"phone":"+79125550102"}"#.utf8), timeout: 10))
        #expect(response.status == 202)
        #expect(await process.terminate(timeout: .seconds(20)) == 0)
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(!text.split(separator: "\n").contains { $0.hasPrefix("error") || $0.hasPrefix("critical") }, "\(text)")
    }
}

/// Ports that are taken: the setting to change is named; without `--port` the next free one.
@Suite struct PortTests {
    @Test func theNextFreePortIsPickedAboveATakenOne() throws {
        let holder = try RawListener()
        #expect(!FreePort.isFree(holder.port))
        let picked = try #require(FreePort.from(holder.port))
        #expect(picked > holder.port)
        #expect(FreePort.isFree(picked))
        #expect(try Sandbox.port(7, preferred: holder.port, setting: "--port") == 7, "a port asked for is used as asked")
    }

    @Test func theFakeOnATakenPortNamesTheOption() async throws {
        let holder = try RawListener()
        let process = Process()
        process.executableURL = try DaemonProcess.binary()
        process.arguments = ["fake-amocrm", "--port", "\(holder.port)"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let (text, status) = await ProcessOutput.read(of: process, pipe: output)
        #expect(status == 1)
        #expect(text.contains("port \(holder.port) is already in use (set --port)"), "\(text)")
    }

    /// Without `--port`, a taken default port is skipped and the port used is named: the
    /// sandbox from 8080, the fake from 8099. (When another process already holds the default,
    /// that one stands in for the holder.)
    @Test(arguments: [(["sandbox"], 8080), (["fake-amocrm"], 8099)])
    func withoutPortTheNextFreeOneIsUsedAndNamed(arguments: [String], preferred: Int) async throws {
        let holder = try? RawListener(port: preferred)
        #expect(!FreePort.isFree(preferred), "the default port is taken")
        let dir = TempDir()
        let log = dir.file("out.log")
        let process = try DaemonProcess(arguments: arguments + (arguments == ["sandbox"] ? ["--directory", dir.path] : []), log: log)
        var used: Int?
        try await eventually(timeout: .seconds(60)) {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            let line = text.split(separator: "\n").first { $0.hasPrefix("port \(preferred) is already in use: using ") }
            // "port 8080 is already in use: using 8081 (choose one with --port)"
            used = line?.components(separatedBy: "using ").last?.split(separator: " ").first.flatMap { Int($0) }
            return used != nil && (text.contains("Press Ctrl-C to stop") || text.contains(FakeAmoProcess.banner))
        }
        let port = try #require(used)
        #expect(port > preferred)
        #expect(!FreePort.isFree(port), "it listens on the port it named")
        process.signal(SIGINT)
        _ = holder
    }

    /// The sandbox's loop, as its instructions tell a newcomer: a checkout in the fake shop becomes a
    /// lead; the manager wins it in the fake amoCRM; the shop's order is completed, with a note.
    @Test func theSandboxShowsTheLoopBackToTheShop() async throws {
        let dir = TempDir()
        let (port, fakePort, shopPort) = (
            try #require(FreePort.ephemeral()), try #require(FreePort.ephemeral()), try #require(FreePort.ephemeral())
        )
        let process = try DaemonProcess(
            arguments: [
                "sandbox", "--port", "\(port)", "--fake-port", "\(fakePort)", "--shop-port", "\(shopPort)", "--directory", dir.path,
            ], log: dir.file("sandbox.log"))
        func call(_ method: String, _ url: String, _ body: String? = nil) async throws -> JSONValue? {
            let answer = try await URLSessionTransport().send(
                OutgoingRequest(method: method, url: URL(string: url)!, body: body.map { Data($0.utf8) }))
            return try? JSONValue.parse(answer.body)
        }
        try await eventually(timeout: .seconds(60)) {
            ((try? String(contentsOfFile: dir.file("sandbox.log"), encoding: .utf8)) ?? "").contains("Press Ctrl-C to stop")
        }
        let order = try #require(
            try await call("POST", "http://127.0.0.1:\(shopPort)/__shop/orders", #"{"name":"Boris"}"#)?["id"]?.intValue)
        var lead: Int?
        try await eventually {
            lead = try await call("GET", "http://127.0.0.1:\(fakePort)/__fake/state")?["leads"]?.arrayValue?.first?["id"]?.intValue
            return lead != nil
        }
        _ = try await call("POST", "http://127.0.0.1:\(fakePort)/__fake/leads/\(try #require(lead))/move", #"{"status_id":142}"#)
        var shown: JSONValue?
        try await eventually {
            shown = try await call("GET", "http://127.0.0.1:\(shopPort)/__shop/orders/\(order)")
            return shown?["status"] == "completed"
        }
        #expect(shown?["notes"]?.arrayValue?.first?.stringValue?.contains("stage 142") == true)
        process.signal(SIGINT)
        #expect(await process.exitStatus(within: .seconds(30)) == 0)
    }

    /// Ctrl-C on a running sandbox: exit 0 and not one error line.
    @Test func sandboxStopsCleanlyOnCtrlC() async throws {
        let dir = TempDir()
        let log = dir.file("sandbox.log")
        let process = try DaemonProcess(arguments: ["sandbox", "--port", "0", "--directory", dir.path], log: log)
        try await eventually(timeout: .seconds(60)) {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("Press Ctrl-C to stop")
        }
        process.signal(SIGINT)
        let status = await process.exitStatus(within: .seconds(30))
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(status == 0)
        #expect(
            !text.split(separator: "\n").contains { $0.hasPrefix("error") || $0.hasPrefix("critical") || $0.contains("ERROR") }, "\(text)")
    }
}
