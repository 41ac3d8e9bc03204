import AmoAPI
import Foundation
import AmoSyncCore

/// Test and benchmark control of incoming leads, tasks, lists and users (`/__fake/…`), and what
/// `GET /__fake/state` shows of them.
extension FakeAmoState {
    /// Incoming leads (with their state), tasks, list elements and links, in the API's shapes.
    var salesSnapshot: [String: JSONValue] {
        [
            "incoming": .array(
                sales.incoming.values.sorted { $0.leadID < $1.leadID }.map { form in
                    guard case .object(var json)? = try? AmoJSON.value(form.model) else { return .null }
                    json["state"] = .string(form.state.rawValue)
                    return .object(json)
                }),
            "tasks": .array(sales.tasks.values.sorted { $0.id < $1.id }.map { (try? AmoJSON.value($0.model)) ?? .null }),
            "catalog_elements": .array(
                sales.elements.values.sorted { $0.id < $1.id }.compactMap { element in
                    sales.catalogs.first { $0.id == element.catalogID }.map { (try? AmoJSON.value(elementModel(element, $0))) ?? .null }
                }),
            "links": .array(
                sales.links.sorted { $0.key < $1.key }.flatMap { lead, links in
                    links.values.sorted { $0.elementID < $1.elementID }.map { link in
                        [
                            "entity_id": .number(JSONNumber(lead)), "to_entity_id": .number(JSONNumber(link.elementID)),
                            "catalog_id": .number(JSONNumber(link.catalogID)), "quantity": .number(JSONNumber(link.quantity)),
                        ]
                    }
                }),
        ]
    }

    /// `POST /__fake/lists` (`{"available": false}`: a plan without lists; `{"allowed": false}`: no
    /// access), `/__fake/users/{id}` (`{"active": false}`), `/__fake/elements` (`{"name", "sku",
    /// "price"}`: a product a manager added), `/__fake/leads` (`{"responsible_user_id", "pipeline_id",
    /// "status_id"}`: a lead a manager works on). Nil: not one of these.
    func salesControl(_ request: FakeRequest, body: JSONValue?) -> FakeResponse? {
        guard request.method == "POST" else { return nil }
        let ok = FakeResponse.json(200, ["ok": true], contentType: "application/json")
        switch request.path {
        case "/__fake/lists":
            setLists(available: body?["available"]?.boolValue ?? true, allowed: body?["allowed"]?.boolValue ?? true)
            return ok
        case let path where path.hasPrefix("/__fake/users/"):
            guard let id = Int(path.dropFirst("/__fake/users/".count)), users.contains(id) else {
                return .problem(404, title: "Not Found", detail: "no user \(path.dropFirst("/__fake/users/".count))")
            }
            if body?["active"]?.boolValue ?? true { inactiveUsers.remove(id) } else { inactiveUsers.insert(id) }
            return ok
        case "/__fake/elements":
            guard let name = body?["name"]?.textValue, let sku = body?["sku"]?.textValue else {
                return .problem(400, title: "Bad Request", detail: "name and sku are required")
            }
            let id = seedElement(name: name, sku: sku, price: body?["price"]?.textValue)
            return .json(200, ["id": .number(JSONNumber(id))], contentType: "application/json")
        case "/__fake/leads":
            let id = seedLead(
                responsible: body?["responsible_user_id"]?.intValue ?? users[0], pipeline: body?["pipeline_id"]?.intValue ?? 3177727,
                status: body?["status_id"]?.intValue ?? 32392160)
            return .json(200, ["id": .number(JSONNumber(id))], contentType: "application/json")
        default:
            return nil
        }
    }
}
