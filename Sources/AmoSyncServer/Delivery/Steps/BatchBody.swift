import AmoAPI
import AmoSyncCore

/// An entity a step sends in a batch write, with the values the sender may take out when
/// amoCRM refuses them (the entity then goes without, and the job says so).
protocol BatchBody: Encodable, Sendable {
    var requestID: String? { get set }
    var customFieldsValues: [CustomFieldValues]? { get set }
    /// Takes the stage out (amoCRM's default stage of the pipeline is used); what it was.
    mutating func dropStatus() -> (status: Int, pipeline: Int?)?
    /// Takes the responsible user out (the account's default is used); who it was.
    mutating func dropResponsibleUser() -> Int?
    /// The linked contact at `index` that amoCRM says does not exist, replaced by `contact`
    /// (created with the lead); its id.
    mutating func replaceLinkedContact(_ index: Int, with contact: Contact) -> Int?
    /// The contact sent with a complex lead, to take refused values out of.
    var embeddedContact: Contact? { get set }
}

extension BatchBody {
    mutating func dropStatus() -> (status: Int, pipeline: Int?)? { nil }
    mutating func dropResponsibleUser() -> Int? { nil }
    mutating func replaceLinkedContact(_ index: Int, with contact: Contact) -> Int? { nil }
    var embeddedContact: Contact? {
        get { nil }
        set {}
    }
}

extension Lead: BatchBody {
    mutating func dropStatus() -> (status: Int, pipeline: Int?)? {
        guard let status = statusID else { return nil }
        statusID = nil
        return (status, pipelineID)
    }

    mutating func dropResponsibleUser() -> Int? {
        defer { responsibleUserID = nil }
        return responsibleUserID
    }

    mutating func replaceLinkedContact(_ index: Int, with contact: Contact) -> Int? {
        guard let linked = embedded?.contacts, linked.indices.contains(index), let gone = linked[index].id else { return nil }
        embedded?.contacts = [contact]
        return gone
    }

    var embeddedContact: Contact? {
        get { embedded?.contacts?.first { $0.id == nil } }
        set {
            guard let newValue, let index = embedded?.contacts?.firstIndex(where: { $0.id == nil }) else { return }
            embedded?.contacts?[index] = newValue
        }
    }
}

extension Contact: BatchBody {
    mutating func dropResponsibleUser() -> Int? {
        defer { responsibleUserID = nil }
        return responsibleUserID
    }
}

extension Note: BatchBody {
    var customFieldsValues: [CustomFieldValues]? {
        get { nil }
        set {}
    }
}
