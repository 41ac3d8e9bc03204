import Foundation

/// A PostgreSQL server of its own for one test: a new cluster (`initdb`) in a temporary folder,
/// listening on a free loopback port, stopped (`pg_ctl stop -m immediate`) by `stop()`. The
/// server binaries come from Debian's `postgresql` package (`.ci/run` installs it). PostgreSQL
/// refuses to run as root, so under root the cluster belongs to the `postgres` user.
final class PostgresServer: Sendable {
    let port: Int
    let dir: TempDir
    let durable: Bool
    let tls: Bool
    /// The cluster's superuser.
    static let user = "amosync"

    /// `postgres://amosync@127.0.0.1:PORT/DATABASE`
    func url(database: String = "postgres") -> String { "postgres://\(Self.user)@127.0.0.1:\(port)/\(database)" }

    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    /// The newest installed server's binaries (`/usr/lib/postgresql/15/bin`).
    static var binaries: String? {
        let root = "/usr/lib/postgresql"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        let versions = names.compactMap { Int($0) }.sorted()
        guard let newest = versions.last else { return nil }
        let bin = "\(root)/\(newest)/bin"
        return FileManager.default.isExecutableFile(atPath: "\(bin)/initdb") ? bin : nil
    }

    /// Starts one (about a second: `initdb`, then `pg_ctl start -w`), on a thread of its own:
    /// waiting for a child process must not hold one of Swift's few pool threads.
    /// `durable: false` (what tests of the rules use): no fsync, so a test's databases never
    /// stall the SQLite files other tests sync meanwhile; durability tests ask for `true`.
    /// `tls: true`: TLS on, with a certificate made for the test (`openssl`, which Debian's
    /// postgresql package brings along through ssl-cert).
    static func start(durable: Bool = false, tls: Bool = false) async throws -> PostgresServer {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try startBlocking(durable: durable, tls: tls) }) }.start()
        }
    }

    static let volatile = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"

    private static func startBlocking(durable: Bool, tls: Bool) throws -> PostgresServer {
        guard let bin = binaries else {
            throw Missing(description: "PostgreSQL's server is not installed: apt-get install postgresql (.ci/run installs it)")
        }
        let dir = TempDir()
        let asRoot = getuid() == 0
        if asRoot { try run("/bin/chown", ["-R", "postgres", dir.path]) }
        let data = dir.file("data")
        try run("\(bin)/initdb", ["-D", data, "-U", user, "--auth=trust", "-E", "UTF8", "--no-sync"], asPostgres: asRoot)
        if tls {
            // server.crt and server.key in the data folder, the key readable by its owner only.
            try run(
                "/usr/bin/openssl",
                [
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-keyout",
                    "\(data)/server.key", "-out", "\(data)/server.crt",
                ], asPostgres: asRoot)
            try run("/bin/chmod", ["600", "\(data)/server.key"], asPostgres: asRoot)
        }
        let server = PostgresServer(port: try freePort(), dir: dir, durable: durable, tls: tls)
        try server.startBlocking()
        return server
    }

    private func startBlocking() throws {
        guard let bin = Self.binaries else { return }
        try Self.run(
            "\(bin)/pg_ctl",
            [
                "-D", dir.file("data"), "-w", "-l", dir.file("server.log"), "-o",
                "-p \(port) -k \(dir.path) -c listen_addresses=127.0.0.1 -c max_connections=100 \(durable ? "" : Self.volatile)"
                    + (tls ? " -c ssl=on" : ""), "start",
            ], asPostgres: getuid() == 0)
    }

    /// Starts a stopped server again, on the same port with the same data (an outage's end).
    func restart() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Thread { continuation.resume(with: Result { try self.startBlocking() }) }.start()
        }
    }

    private init(port: Int, dir: TempDir, durable: Bool, tls: Bool) {
        self.port = port
        self.dir = dir
        self.durable = durable
        self.tls = tls
    }

    /// Creates a database on the server.
    func createDatabase(_ name: String) async throws {
        guard let bin = Self.binaries else { return }
        let port = port
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Thread {
                continuation.resume(
                    with: Result { try Self.run("\(bin)/createdb", ["-h", "127.0.0.1", "-p", "\(port)", "-U", Self.user, name]) })
            }.start()
        }
    }

    /// Stops the server at once (as a crash would); waits on a thread of its own.
    func stop() {
        guard let bin = Self.binaries else { return }
        let data = dir.file("data")
        let done = DispatchSemaphore(value: 0)
        Thread {
            try? Self.run("\(bin)/pg_ctl", ["-D", data, "-m", "immediate", "stop"], asPostgres: getuid() == 0)
            done.signal()
        }.start()
        done.wait()
    }

    deinit { stop() }

    /// Runs a program to its end with `posix_spawn` and `waitpid`. Not `Foundation.Process`: it
    /// learns of an exit when every holder of an inherited descriptor has closed it, and the server
    /// `pg_ctl start` leaves running holds it for its whole life.
    static func run(_ program: String, _ arguments: [String], asPostgres: Bool = false) throws {
        let argv = asPostgres ? ["/usr/sbin/runuser", "-u", "postgres", "--", program] + arguments : [program] + arguments
        let log = (NSTemporaryDirectory() as NSString).appendingPathComponent("amosync-pg-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(atPath: log) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ)
        guard spawned == 0 else { throw Missing(description: "cannot run \(argv[0]): error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        let exited = (status & 0x7f) == 0
        let code = (status >> 8) & 0xff
        guard exited, code == 0 else {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw Missing(description: "\((program as NSString).lastPathComponent) failed (status \(status)): \(text)")
        }
    }

    /// A loopback port nothing listens on now.
    private static func freePort() throws -> Int {
        let listener = try RawListener()
        defer { listener.close() }
        return listener.port
    }
}

extension PostgresServer {
    /// A database of its own on the test run's one shared server: the server starts with the
    /// first test that asks (one `initdb` for the run, not one per test) and stops when the test
    /// process exits. A test that stops or breaks its server starts its own with `start()`.
    static func database() async throws -> String {
        let server = try await SharedPostgres.instance.server()
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        try await server.createDatabase(name)
        return server.url(database: name)
    }

    /// Stops the server at once and removes its folder (at the test process's exit).
    fileprivate static func stopAtExit(data: String, folder: String) {
        guard let bin = binaries else { return }
        try? run("\(bin)/pg_ctl", ["-D", data, "-m", "immediate", "stop"], asPostgres: getuid() == 0)
        try? FileManager.default.removeItem(atPath: folder)
    }
}

/// The test run's shared PostgreSQL server.
private actor SharedPostgres {
    static let instance = SharedPostgres()
    private var starting: Task<PostgresServer, any Error>?

    func server() async throws -> PostgresServer {
        if let starting { return try await starting.value }
        let task = Task { () throws -> PostgresServer in
            let server = try await PostgresServer.start()
            SharedPostgresExit.register(data: server.dir.file("data"), folder: server.dir.path)
            return server
        }
        starting = task
        return try await task.value
    }
}

/// `atexit` takes a C function: what it stops is kept here.
private enum SharedPostgresExit {
    nonisolated(unsafe) static var target: (data: String, folder: String)?

    static func register(data: String, folder: String) {
        target = (data, folder)
        atexit {
            if let target = SharedPostgresExit.target { PostgresServer.stopAtExit(data: target.data, folder: target.folder) }
        }
    }
}
