import Foundation
@testable import AmoSyncCore

extension JSONValue {
    /// Sets a value at a dotted path inside objects (creating them).
    mutating func set(_ path: String, _ value: JSONValue) {
        let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
        var object = objectValue ?? [:]
        if parts.count == 1 {
            object[parts[0]] = value
        } else {
            var child = object[parts[0]] ?? .object([:])
            child.set(parts[1], value)
            object[parts[0]] = child
        }
        self = .object(object)
    }

    /// Removes the value at a dotted path inside objects.
    mutating func remove(_ path: String) {
        let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
        guard var object = objectValue else { return }
        if parts.count == 1 {
            object[parts[0]] = nil
        } else if var child = object[parts[0]] {
            child.remove(parts[1])
            object[parts[0]] = child
        }
        self = .object(object)
    }
}
