import AmoAPI
import Foundation
import AmoSyncCore

/// Turns plan values into amoCRM `custom_fields_values`, by the field's type. A value amoCRM
/// would reject (unknown select option, text in a numeric field) is dropped with a warning
/// instead of sinking the whole lead; a text longer than the field takes is cut with a marker.
enum FieldValueEncoder {
    /// amoCRM takes at most this many custom field values per lead or contact in a request.
    static let maxValues = 40

    /// At most `maxValues`: phones, emails and the fields in `keeping` (the job key) always
    /// stay; of the others the first ones (config order) are kept and the rest named in a warning.
    static func capped(
        _ values: [CustomFieldValues], keeping: Set<Int> = [], names: [Int: String] = [:], warnings: inout [String]
    ) -> [CustomFieldValues] {
        guard values.count > maxValues else { return values }
        func isKept(_ value: CustomFieldValues) -> Bool {
            value.fieldCode == CustomFieldValues.phoneCode || value.fieldCode == CustomFieldValues.emailCode
                || keeping.contains(value.fieldID ?? -1)
        }
        var room = maxValues - values.filter(isKept).count
        var dropped: [String] = []
        let result = values.filter { value in
            if isKept(value) { return true }
            if room > 0 {
                room -= 1
                return true
            }
            dropped.append(value.fieldID.map { names[$0] ?? "#\($0)" } ?? value.fieldCode ?? "?")
            return false
        }
        warnings.append(
            "\(values.count) custom field values, amoCRM takes \(maxValues) per entity: dropped \(dropped.joined(separator: ", "))")
        return result
    }

    /// Later values for the same field win (overrides come last in the plan).
    static func encode(
        _ values: [FieldValue], resolved: [FieldRef: AmoField], missing: [FieldRef: String],
        skip: (AmoField) -> Bool = { _ in false }, warnings: inout [String]
    ) -> [(field: AmoField, value: CustomFieldValues)] {
        var byField: [Int: (field: AmoField, value: CustomFieldValues)] = [:]
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

    /// An empty text clears the field (`values: null`).
    static func encodeValue(_ text: String, field: AmoField, from: String, warnings: inout [String]) -> CustomFieldValues? {
        if text.isEmpty { return CustomFieldValues(fieldID: field.id, values: nil) }
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
            value = .string(
                AmoLimits.fit(text, to: AmoLimits.value(forFieldType: field.type), what: "\(from) → \(field.name)", warnings: &warnings))
        }
        return CustomFieldValues(fieldID: field.id, values: [.init(value: value)])
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

extension [CustomFieldValues] {
    /// Values that set something (an empty value that would clear a field is left out).
    var setting: [CustomFieldValues] { filter { $0.values != nil } }
}
