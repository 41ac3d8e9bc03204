import Foundation
import AmoSyncCore

/// Turns plan values into amoCRM `custom_fields_values`, by the field's type. A value
/// amoCRM would reject (unknown select option, text in a numeric field) is dropped with a
/// warning instead of sinking the whole lead.
enum FieldValueEncoder {
    /// Later values for the same field win (overrides come last in the plan).
    static func encode(
        _ values: [FieldValue], resolved: [FieldRef: AmoField], missing: [FieldRef: String],
        skip: (AmoField) -> Bool = { _ in false }, warnings: inout [String]
    ) -> [(field: AmoField, json: JSONValue)] {
        var byField: [Int: (field: AmoField, json: JSONValue)] = [:]
        var order: [Int] = []
        for value in values {
            guard let field = resolved[value.field] else {
                if let reason = missing[value.field] { warnings.append("\(value.from) → \(value.field.label) skipped: \(reason)") }
                continue
            }
            if skip(field) { continue }
            guard let item = encodeValue(value.value, field: field, from: value.from, warnings: &warnings) else { continue }
            if byField[field.id] == nil { order.append(field.id) }
            byField[field.id] = (field, item)
        }
        return order.compactMap { byField[$0] }
    }

    static func encodeValue(_ text: String, field: AmoField, from: String, warnings: inout [String]) -> JSONValue? {
        if text.isEmpty { return ["field_id": .number(JSONNumber(field.id)), "values": .null] }
        let value: JSONValue
        switch field.type {
        case "numeric", "price", "monetary":
            guard let number = JSONNumber(parsing: text.replacingOccurrences(of: ",", with: ".").replacingOccurrences(of: " ", with: ""))
            else {
                warnings.append("\(from) → \(field.name): \"\(text)\" is not a number, value dropped")
                return nil
            }
            value = .number(number)
        case "checkbox":
            value = .bool(["1", "true", "yes", "on", "да"].contains(text.lowercased()))
        case "select", "radiobutton", "multiselect":
            guard let option = field.enums.first(where: { $0.caseInsensitiveCompare(text) == .orderedSame }) else {
                warnings.append("\(from) → \(field.name): \"\(text)\" is not an option of this list, value dropped")
                return nil
            }
            value = .string(option)
        case "date", "date_time", "birthday":
            guard let timestamp = Self.timestamp(text) else {
                warnings.append("\(from) → \(field.name): \"\(text)\" is not a date, value dropped")
                return nil
            }
            value = .number(JSONNumber(timestamp))
        default:
            value = .string(text)
        }
        return ["field_id": .number(JSONNumber(field.id)), "values": [["value": value]]]
    }

    static func timestamp(_ text: String) -> Int? {
        if let number = Int(text) { return number }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return Int(date.timeIntervalSince1970) }
        formatter.formatOptions = [.withFullDate]
        if let date = formatter.date(from: String(text.prefix(10))) { return Int(date.timeIntervalSince1970) }
        return nil
    }
}
