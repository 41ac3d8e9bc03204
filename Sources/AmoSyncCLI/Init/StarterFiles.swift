import AmoSyncCore
import Foundation

/// Writes what `amosync init` produces: the config (0640, group `amosync` when it exists) and the
/// env file (0600). Each file appears whole or not at all (written beside, then linked or renamed
/// into place); a config someone wrote is never replaced, an env file only gains missing keys.
struct StarterFiles {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    let configPath: String
    let envPath: String
    /// The untouched example the package installs as the config: replacing it loses nothing.
    let packagedExample: String

    /// A new intake token: 32 random bytes from the system's CSPRNG, as 64 hex digits.
    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }

    /// Throws when a config is already there, unless it is the packaged example as installed;
    /// also when the config or the env file is a symbolic link (see `contents`).
    func checkConfigIsFree() throws {
        _ = try Self.contents(envPath)
        guard let existing = try Self.contents(configPath) else { return }
        if existing == FileManager.default.contents(atPath: packagedExample) { return }
        throw Failure("\(configPath) already exists: amosync init never overwrites a config (move it away first, or use --config PATH)")
    }

    /// The file's bytes, nil when there is none. A symbolic link is refused, never followed: `init`
    /// writes secrets, and a link could make it read (and copy) or replace a file elsewhere.
    static func contents(_ path: String) throws -> Data? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        guard info.st_mode & S_IFMT != S_IFLNK else {
            throw Failure("\(path) is a symbolic link: amosync init does not follow links (remove it, or use --config PATH)")
        }
        guard info.st_mode & S_IFMT == S_IFREG else { throw Failure("\(path) is not a regular file") }
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw Failure("cannot read \(path): \(String(cString: strerror(errno)))") }
        return FileHandle(fileDescriptor: fd, closeOnDealloc: true).readDataToEndOfFile()
    }

    /// Adds the secrets the env file does not define yet; returns the names written.
    func writeEnv(_ secrets: [(String, String)]) throws -> [String] {
        let current = try Self.contents(envPath).map { String(decoding: $0, as: UTF8.self) }
        let defined = Set(EnvFile.parse(current ?? "").map(\.key))
        let added = secrets.filter { !defined.contains($0.0) }
        guard !added.isEmpty else { return [] }
        var text = current ?? "# Secrets for amosync (read by systemd's EnvironmentFile= and by amosync itself).\n"
        if !text.isEmpty, !text.hasSuffix("\n") { text += "\n" }
        text += added.map { "\($0.0)=\($0.1)\n" }.joined()
        try place(text, at: envPath, mode: 0o600, group: nil, replace: true)
        return added.map(\.0)
    }

    func writeConfig(_ text: String) throws {
        let replace = FileManager.default.fileExists(atPath: configPath)  // only the packaged example gets here
        try place(text, at: configPath, mode: 0o640, group: "amosync", replace: replace)
    }

    /// Writes `text` to a temporary file beside `path`, then moves it into place: `rename` when
    /// replacing, `link` otherwise (which fails rather than overwrite a file that appeared meanwhile).
    private func place(_ text: String, at path: String, mode: mode_t, group: String?, replace: Bool) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let temporary = path + ".init-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        defer { unlink(temporary) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        fchmod(fd, mode)  // whatever the umask
        if getuid() == 0, let group, let entry = getgrnam(group) { fchown(fd, 0, entry.pointee.gr_gid) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced else { throw Failure("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        _ = try Self.contents(path)  // a link that appeared meanwhile is refused too
        let moved = replace ? rename(temporary, path) : link(temporary, path)
        guard moved == 0 else {
            if errno == EEXIST { throw Failure("\(path) already exists: amosync init never overwrites it") }
            throw Failure("cannot create \(path): \(String(cString: strerror(errno)))")
        }
    }
}
