import AmoSyncCore
/// Contact keys (normalized phones and emails) held by batches in flight, so that two
/// concurrent batches never create the same new customer twice.
actor ContactLocks {
    private var held: Set<String> = []

    init() {}

    /// Takes all keys, or none when any is held.
    func tryLock(_ keys: [String]) -> Bool {
        if keys.contains(where: held.contains) { return false }
        held.formUnion(keys)
        return true
    }

    func unlock(_ keys: [String]) { held.subtract(keys) }
}
