import AmoSyncBuildInfo
import AmoSyncCore

/// What `amosync --version` prints: the release and the commit it was built from.
enum VersionText {
    static var commit: String { String(cString: amosync_build_commit()) }

    static var line: String {
        commit.isEmpty ? "\(AmoSync.version) (development build, no commit recorded)" : "\(AmoSync.version) (commit \(commit))"
    }
}
