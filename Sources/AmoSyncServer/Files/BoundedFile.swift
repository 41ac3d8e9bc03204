import Foundation

/// Reads a whole file that must stay small (the config, the env file, the tokens file): one
/// larger than `limit` is refused before it is read, so a runaway file cannot take the
/// daemon's memory.
package enum BoundedFile {
    package struct TooLarge: Error, CustomStringConvertible {
        package var path: String
        package var size: Int64
        package var limit: Int
        package var description: String {
            "\(path) is \(Self.megabytes(size)); the limit is \(Self.megabytes(Int64(limit)))"
        }
        static func megabytes(_ bytes: Int64) -> String { String(format: "%.1f MB", Double(bytes) / 1_048_576) }
    }

    /// The file's bytes; nil when there is no such file (or it cannot be opened).
    package static func read(_ path: String, limit: Int) throws -> Data? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        var info = stat()
        if fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size > Int64(limit) {
            throw TooLarge(path: path, size: Int64(info.st_size), limit: limit)
        }
        // Not a regular file (a pipe): read at most one byte past the limit to tell.
        let data = try handle.read(upToCount: limit + 1) ?? Data()
        if data.count > limit { throw TooLarge(path: path, size: Int64(data.count), limit: limit) }
        return data
    }
}
