import Synchronization

/// A value a reload replaces as a whole. Readers take one snapshot per unit of work (a
/// request, a batch), so each unit runs with one consistent version from start to end.
package final class Live<Value: Sendable>: Sendable {
    private let value: Mutex<Value>

    package init(_ value: Value) { self.value = Mutex(value) }

    package var current: Value { value.withLock { $0 } }

    package func replace(_ new: Value) { value.withLock { $0 = new } }
}
