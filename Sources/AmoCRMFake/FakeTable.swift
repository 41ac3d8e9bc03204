/// The fake account's leads or contacts: by id, in `(updated_at, id)` order for the paged
/// `filter[updated_at][from]` reads, and by search token for `query` — so that an account of
/// a million contacts answers a page or a search without sorting or scanning them all.
struct FakeTable: Sendable {
    struct Key: Comparable, Sendable {
        var updatedAt: Int
        var id: Int
        static func < (a: Key, b: Key) -> Bool { (a.updatedAt, a.id) < (b.updatedAt, b.id) }
    }

    private(set) var byID: [Int: FakeEntity] = [:]
    /// Every entity's key, ascending.
    private(set) var order: [Key] = []
    /// Hash of a search token (a whole value, its digits, its last ten digits) → entity ids.
    private var tokens: [Int: [Int]] = [:]

    /// Above this size `query` looks up whole values and numbers only, as a search index does;
    /// below it every entity is scanned for the text (any substring matches).
    static let scanLimit = 10_000

    var count: Int { byID.count }
    var values: Dictionary<Int, FakeEntity>.Values { byID.values }

    subscript(id: Int) -> FakeEntity? {
        get { byID[id] }
        set {
            if let old = byID[id] {
                if let at = position(of: Key(updatedAt: old.updatedAt, id: id)) { order.remove(at: at) }
                for token in Self.tokens(old) { tokens[token]?.removeAll { $0 == id } }
            }
            byID[id] = newValue
            guard let value = newValue else { return }
            let key = Key(updatedAt: value.updatedAt, id: id)
            if let last = order.last, key < last {
                order.insert(key, at: insertionPoint(key))
            } else {
                order.append(key)
            }
            for token in Self.tokens(value) { tokens[token, default: []].append(id) }
        }
    }

    /// Keys of entities updated at or after `from`, ascending.
    func keys(updatedFrom from: Int) -> ArraySlice<Key> {
        order[insertionPoint(Key(updatedAt: from, id: Int.min))...]
    }

    /// Entities a search for `text` (lowercased) may match: all of them in a small table, else
    /// the ones holding it as a whole value or number.
    func candidates(for text: String) -> [FakeEntity] {
        guard count > Self.scanLimit else { return Array(byID.values) }
        let digits = text.filter(\.isASCIIDigit)
        var ids: Set<Int> = []
        for token in [text, digits, String(digits.suffix(10))] where !token.isEmpty {
            ids.formUnion(tokens[token.hashValue] ?? [])
        }
        return ids.compactMap { byID[$0] }
    }

    private func insertionPoint(_ key: Key) -> Int {
        var (low, high) = (0, order.count)
        while low < high {
            let mid = (low + high) / 2
            if order[mid] < key { low = mid + 1 } else { high = mid }
        }
        return low
    }

    private func position(of key: Key) -> Int? {
        let at = insertionPoint(key)
        return at < order.count && order[at] == key ? at : nil
    }

    private static func tokens(_ value: FakeEntity) -> Set<Int> {
        var tokens: Set<Int> = []
        for field in value.fields {
            for item in field.values {
                guard let text = item.value.textValue?.lowercased() else { continue }
                let digits = text.filter(\.isASCIIDigit)
                tokens.insert(text.hashValue)
                if digits.count >= 5 {
                    tokens.insert(digits.hashValue)
                    tokens.insert(String(digits.suffix(10)).hashValue)
                }
            }
        }
        return tokens
    }
}
