import AmoAPI
import AmoSyncCore
import Foundation

/// What distribution needs to know of the account's users, read within the rate budget and
/// kept a while: who is active (`GET /users`, every 10 minutes), and how many open leads each
/// rotation user has in a pipeline (`least_open`: one list read per pipeline every 5 minutes,
/// plus the leads amosync gave them since).
actor UserDirectory {
    let client: AmoClient
    let clock: any TimeSource
    static let usersTTL: TimeInterval = 600
    static let loadTTL: TimeInterval = 300
    /// Pages of open leads read at most per count (1,000 leads): beyond, users count as equal.
    static let loadPages = 4

    private var active: (users: [Int: Bool], at: Date)?
    private var loads: [Int: (counts: [Int: Int], at: Date)] = [:]
    private var openStages: (stages: [Int: [Int]], at: Date)?

    init(client: AmoClient, clock: any TimeSource) {
        self.client = client
        self.clock = clock
    }

    /// Every user of the account: true when active.
    func users() async throws -> [Int: Bool] {
        if let active, clock.date.timeIntervalSince(active.at) < Self.usersTTL { return active.users }
        var users: [Int: Bool] = [:]
        for page in 1...20 {
            let list = try await client.send(Endpoints.users(page: page))
            for user in list.items { users[user.id] = user.isActive }
            if !list.hasNext { break }
        }
        active = (users, clock.date)
        return users
    }

    /// Open leads per user in `pipeline` (nil: the main one), for these users.
    func openLeads(of users: [Int], pipeline: Int?) async throws -> [Int: Int] {
        let stages = try await stagesByPipeline()
        guard let pipeline = pipeline ?? stages.main, let open = stages.stages[pipeline] else { return [:] }
        if let cached = loads[pipeline], clock.date.timeIntervalSince(cached.at) < Self.loadTTL,
            users.allSatisfy({ cached.counts[$0] != nil })
        {
            return cached.counts
        }
        var counts = Dictionary(uniqueKeysWithValues: users.map { ($0, 0) })
        for page in 1...Self.loadPages {
            let list = try await client.send(
                Endpoints.leads(responsible: users, statuses: open.map { (pipeline, $0) }, page: page))
            for lead in list.items { if let user = lead.responsibleUserID, counts[user] != nil { counts[user]! += 1 } }
            if !list.hasNext { break }
        }
        loads[pipeline] = (counts, clock.date)
        return counts
    }

    /// A lead amosync just gave `user`: counted until the next read.
    func assigned(_ user: Int, pipeline: Int?) {
        guard let pipeline = pipeline ?? mainPipeline else { return }
        loads[pipeline]?.counts[user, default: 0] += 1
    }

    /// The open (not won, lost or incoming) stages of each pipeline, and the main pipeline.
    private func stagesByPipeline() async throws -> (stages: [Int: [Int]], main: Int?) {
        if let openStages, clock.date.timeIntervalSince(openStages.at) < Self.usersTTL {
            return (openStages.stages, mainPipeline)
        }
        let pipelines = try await client.send(Endpoints.pipelines()).items
        var stages: [Int: [Int]] = [:]
        for pipeline in pipelines {
            stages[pipeline.id] = pipeline.statuses.filter { !Status.isClosed($0.id) && !$0.isIncoming }.map(\.id)
        }
        mainPipeline = pipelines.first { $0.isMain == true }?.id ?? pipelines.first?.id
        openStages = (stages, clock.date)
        return (stages, mainPipeline)
    }

    private var mainPipeline: Int?
}
