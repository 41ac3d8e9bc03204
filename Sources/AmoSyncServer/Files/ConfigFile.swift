import AmoSyncCore
import Foundation

/// The config file on disk and `amosync.env` beside it: read (size-capped), then parsed and
/// validated by `Config.parse` (pure).
package enum ConfigFile {
    /// The largest config file read: 8 MB holds a catalog of about 300,000 SKUs; a larger file
    /// is refused with its size, before it is read (a 100 MB one took the daemon to 1.8 GB).
    package static let maxBytes = 8 << 20
    /// The largest `amosync.env` read.
    static let maxEnvBytes = 1 << 20

    /// Reads and validates a config file; every problem is reported with its key path. `env:NAME`
    /// values come from `environment`, by default the process's over `amosync.env` beside the file.
    package static func load(path: String, environment: [String: String]? = nil) throws -> Config {
        let data: Data?
        do { data = try BoundedFile.read(path, limit: maxBytes) } catch let error as BoundedFile.TooLarge {
            throw ConfigError(problems: [.init(path: "", message: "\(error): split the catalog or shorten the file")])
        }
        guard let data else { throw ConfigError(problems: [.init(path: "", message: "cannot read config file \(path)")]) }
        return try Config.parse(data, environment: try environment ?? self.environment(forConfig: path))
    }

    /// The process environment over the env file beside the config, when that file can be read.
    package static func environment(
        forConfig configPath: String, process: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> [String: String] {
        let envPath = EnvFile.path(besideConfig: configPath)
        let data: Data?
        do { data = try BoundedFile.read(envPath, limit: maxEnvBytes) } catch let error as BoundedFile.TooLarge {
            throw ConfigError(problems: [.init(path: "", message: "\(error)")])
        }
        guard let data else { return process }
        var merged: [String: String] = [:]
        for (key, value) in EnvFile.parse(String(decoding: data, as: UTF8.self)) { merged[key] = value }
        return merged.merging(process) { _, process in process }
    }
}
