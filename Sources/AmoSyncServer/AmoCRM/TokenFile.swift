import AmoSyncCore
import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// An OAuth token pair as amosync keeps it.
package struct TokenSet: Codable, Sendable, Equatable {
    var accessToken: String
    var refreshToken: String
    package var expiresAt: Date
    /// The account's API host when it differs from the configured one (the account was renamed).
    package var baseURL: String?

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token", refreshToken = "refresh_token", expiresAt = "expires_at", baseURL = "base_url"
    }

    init(accessToken: String, refreshToken: String, expiresAt: Date, baseURL: String? = nil) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresAt = expiresAt
        self.baseURL = baseURL
    }

    /// The pair as stored, in the file or the database.
    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        encoder.dateEncodingStrategy = .secondsSince1970
        return try encoder.encode(self)
    }

    static func decode(_ data: Data) throws -> TokenSet {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try decoder.decode(TokenSet.self, from: data)
    }
}

/// `tokens_file`: written atomically (temp file in the same directory, fsync, rename,
/// directory fsync, mode 0600), so a crash at any point leaves either the old pair or the
/// new one, never a torn file. A lock file serializes refreshes across processes.
package struct TokenFile: Sendable {
    let path: String

    package init(path: String) { self.path = path }

    package func read() throws -> TokenSet? {
        guard let data = try BoundedFile.read(path, limit: 64 << 10) else { return nil }
        return try TokenSet.decode(data)
    }

    /// Modification time, to notice a pair written by another process (`auth exchange`).
    func modified() -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    func write(_ tokens: TokenSet) throws {
        let data = try tokens.encoded()
        let directory = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temp = (directory as NSString).appendingPathComponent(".\((path as NSString).lastPathComponent).\(getpid()).tmp")
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw TokenFileError.io("cannot create \(temp): \(String(cString: strerror(errno)))") }
        var ok = data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { return false }
                offset += written
            }
            return true
        }
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok, rename(temp, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temp)
            throw TokenFileError.io("cannot write \(path): \(reason)")
        }
        let dirfd = open(directory, O_RDONLY)
        if dirfd >= 0 {
            fsync(dirfd)
            close(dirfd)
        }
    }

    /// Takes an exclusive lock shared by every process using this file; `unlock` gives it back.
    /// Another holder is asked again every 20 ms (on `clock`).
    func lock(clock: any TimeSource = SystemTime()) async throws -> Int32 {
        let fd = open(path + ".lock", O_RDWR | O_CREAT, 0o600)
        guard fd >= 0 else { throw TokenFileError.io("cannot open \(path).lock: \(String(cString: strerror(errno)))") }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            do { try await clock.sleep(for: .milliseconds(20)) } catch {
                close(fd)
                throw error
            }
        }
        return fd
    }

    func unlock(_ fd: Int32) {
        flock(fd, LOCK_UN)
        close(fd)
    }
}

enum TokenFileError: Error, CustomStringConvertible {
    case io(String)
    var description: String { if case .io(let text) = self { return text } else { return "" } }
}
