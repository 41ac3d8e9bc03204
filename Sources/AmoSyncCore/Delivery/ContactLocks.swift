/// Contact keys (normalized phones and emails) held by batches in flight, so that two
/// concurrent batches never create the same new customer twice.
public actor ContactLocks {
    private var held: Set<String> = []

    public init() {}

    /// Takes all keys, or none when any is held.
    public func tryLock(_ keys: [String]) -> Bool {
        if keys.contains(where: held.contains) { return false }
        held.formUnion(keys)
        return true
    }

    public func unlock(_ keys: [String]) { held.subtract(keys) }
}
