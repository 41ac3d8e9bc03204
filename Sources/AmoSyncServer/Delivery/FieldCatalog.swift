import AmoAPI
import Foundation
import AmoSyncCore

/// A custom field of the account.
struct AmoField: Sendable, Equatable {
    var id: Int
    var name: String
    var type: String
    var code: String?
    var enums: [String]
}

/// The account's custom fields per entity (`leads`, `contacts`), loaded once, refreshed
/// when a name is unknown, and extended by auto-created fields. Creation is single-flight:
/// fifty jobs needing the same new field at once create it once.
actor FieldCatalog {
    let client: AmoClient
    private var fields: [String: [AmoField]] = [:]
    private var loading: [String: Task<[AmoField], any Error>] = [:]
    private var lastRefresh: [String: ContinuousClock.Instant] = [:]
    private var creating: [String: Task<[AmoField], any Error>] = [:]

    let clock: any TimeSource

    init(client: AmoClient, clock: any TimeSource = SystemTime()) {
        self.client = client
        self.clock = clock
    }

    /// All fields of an entity, loading them on first use.
    func all(_ entity: String) async throws -> [AmoField] {
        if let known = fields[entity] { return known }
        return try await reload(entity)
    }

    private func reload(_ entity: String) async throws -> [AmoField] {
        if let task = loading[entity] { return try await task.value }
        let client = self.client
        // Unstructured: one load shared by every lane that asks while it runs (single flight).
        let task = Task { try await Self.fetch(entity, client: client) }
        loading[entity] = task
        defer { loading[entity] = nil }
        // Shared by every lane waiting for it; a cancelled waiter (shutdown) cancels it too.
        let list = try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
        fields[entity] = list
        lastRefresh[entity] = clock.now
        return list
    }

    static func fetch(_ entity: String, client: AmoClient) async throws -> [AmoField] {
        guard let kind = CustomField.Entity(rawValue: entity) else { return [] }
        var result: [AmoField] = []
        var page = 1
        while true {
            let answer = try await client.send(Endpoints.customFields(kind, page: page))
            result += answer.items.compactMap(AmoField.init)
            guard answer.hasNext, !answer.items.isEmpty, page < 40 else { break }
            page += 1
        }
        return result
    }

    static func find(_ ref: FieldRef, in list: [AmoField]) -> AmoField? {
        switch ref {
        case .id(let id): return list.first { $0.id == id }
        case .name(let name, _):
            return list.first { $0.code == name } ?? list.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }
        }
    }

    /// Resolves references to fields. Unknown names trigger one refresh (a manager may have
    /// added the field), then creation when `autoCreate` is on. Returns what could not be
    /// resolved, with the reason.
    func resolve(
        _ refs: [FieldRef], entity: String, autoCreate: Bool, apiOnly: Set<String> = []
    )
        async throws -> (resolved: [FieldRef: AmoField], missing: [FieldRef: String])
    {
        var list = try await all(entity)
        var unknown = Set(refs.filter { Self.find($0, in: list) == nil })
        let recently = lastRefresh[entity].map { clock.now - $0 < .seconds(30) } ?? false
        if !unknown.isEmpty, !recently {
            list = try await reload(entity)
            unknown = unknown.filter { Self.find($0, in: list) == nil }
        }
        var missing: [FieldRef: String] = [:]
        let creatable = unknown.filter { ref in
            if case .name = ref, autoCreate { return true }
            missing[ref] = {
                if case .id(let id) = ref { return "no field with id \(id) in the account" }
                return "no field named \(ref.label) in the account and auto-create is off"
            }()
            return false
        }
        if !creatable.isEmpty {
            list = try await create(Array(creatable), entity: entity, apiOnly: apiOnly)
        }
        var resolved: [FieldRef: AmoField] = [:]
        for ref in refs {
            if let field = Self.find(ref, in: list) {
                resolved[ref] = field
            } else if missing[ref] == nil {
                missing[ref] = "the field \(ref.label) could not be created"
            }
        }
        return (resolved, missing)
    }

    private func create(_ refs: [FieldRef], entity: String, apiOnly: Set<String>) async throws -> [AmoField] {
        var waits: [Task<[AmoField], any Error>] = []
        var mine: [FieldRef] = []
        for ref in refs {
            if let task = creating[Self.key(ref, entity)] {
                waits.append(task)
            } else if Self.find(ref, in: fields[entity] ?? []) == nil {
                mine.append(ref)
            }
        }
        let toCreate = mine
        defer { for ref in toCreate { creating[Self.key(ref, entity)] = nil } }
        if !toCreate.isEmpty {
            let client = self.client
            // Unstructured: lanes needing the same new field wait for this one creation (single flight).
            let task = Task { try await Self.post(toCreate, entity: entity, apiOnly: apiOnly, client: client) }
            for ref in toCreate { creating[Self.key(ref, entity)] = task }
            waits.append(task)
        }
        for task in waits {
            let created = try await task.value
            let known = fields[entity] ?? []
            fields[entity] = known + created.filter { new in !known.contains { $0.id == new.id } }
        }
        return fields[entity] ?? []
    }

    static func key(_ ref: FieldRef, _ entity: String) -> String { "\(entity)/\(ref.label.lowercased())" }

    static func post(_ refs: [FieldRef], entity: String, apiOnly: Set<String>, client: AmoClient) async throws -> [AmoField] {
        guard let kind = CustomField.Entity(rawValue: entity) else { return [] }
        let fields = refs.enumerated().compactMap { index, ref -> CustomField? in
            guard case .name(let name, let type) = ref else { return nil }
            return CustomField(name: name, type: type ?? "text", isAPIOnly: apiOnly.contains(name), requestID: "\(index)")
        }
        return try await client.send(try Endpoints.createCustomFields(kind, fields)).items.compactMap(AmoField.init)
    }
}

extension AmoField {
    init?(_ field: CustomField) {
        guard let id = field.id else { return nil }
        self.init(id: id, name: field.name, type: field.type, code: field.code, enums: (field.enums ?? []).map(\.value))
    }
}
