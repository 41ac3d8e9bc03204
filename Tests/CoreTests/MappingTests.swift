import Foundation
import Testing
@testable import AmoSyncCore
@testable import TestFixtures

@Suite struct MappingTests {
    static func config(_ change: (inout JSONValue) -> Void = { _ in }) -> Config { MappingFixtures.config(change) }

    static func item(_ categories: [Int], price: Double = 100, quantity: Double = 1) -> JSONValue {
        [
            "name": "Thing", "price": .number(JSONNumber(price)), "quantity": .number(JSONNumber(quantity)),
            "categories": .array(categories.map { .number(JSONNumber($0)) }),
        ]
    }

    static func order(items: [JSONValue], extra: [String: JSONValue] = [:]) -> JSONValue {
        var order: [String: JSONValue] = ["id": "1", "customer": ["phone": "89125550102"], "items": .array(items)]
        order.merge(extra) { $1 }
        return .object(order)
    }

    // Routing: items in order, categories nearest first, first configured wins.
    @Test(
        arguments: [
            ([[3]], 100, 101, 9),  // nothing configured → defaults
            ([[40, 12, 3]], 200, 201, 7),  // nearest ancestor 40 wins over 12
            ([[5, 12, 40]], 300, 301, 9),  // 12 is nearer than 40 in this item
            ([[3], [40]], 200, 201, 7),  // first item without match, second item decides
            ([[12], [40]], 300, 301, 9),  // first item's match wins, not the last item's
        ] as [([[Int]], Int, Int, Int)])
    func categoryRouting(categories: [[Int]], pipeline: Int, status: Int, responsible: Int) throws {
        let job = try Mapper(config: Self.config()).mapOrder(Self.order(items: categories.map { Self.item($0) }))
        #expect(job.plan.lead?.pipelineID == pipeline)
        #expect(job.plan.lead?.statusID == status)
        #expect(job.plan.lead?.responsibleUserID == responsible)
    }

    @Test(arguments: [(true, 7), (false, 42)])
    func categoryResponsibleWinsOrNot(wins: Bool, expected: Int) throws {
        let config = Self.config { $0.set("orders.category_responsible_wins", .bool(wins)) }
        let job = try Mapper(config: config).mapOrder(Self.order(items: [Self.item([40])], extra: ["responsible_user_id": 42]))
        #expect(job.plan.lead?.responsibleUserID == expected)
    }

    @Test(
        arguments: [
            (JSONValue.number(5490.4), [JSONValue](), Optional<Double>.none, 5490),
            (JSONValue.number(99.5), [], nil, 100),
            (JSONValue.null, [MappingTests.item([], price: 19.99, quantity: 2), MappingTests.item([], price: 5)], 390, 435),
            (JSONValue.string("1200.00"), [MappingTests.item([])], nil, 1200),
        ] as [(JSONValue, [JSONValue], Double?, Int)])
    func price(total: JSONValue, items: [JSONValue], delivery: Double?, expected: Int) throws {
        var extra: [String: JSONValue] = ["total": total]
        if let delivery { extra["delivery"] = ["cost": .number(JSONNumber(delivery))] }
        let job = try Mapper(config: Self.config()).mapOrder(Self.order(items: items.isEmpty ? [Self.item([])] : items, extra: extra))
        #expect(job.plan.lead?.price == expected)
    }

    @Test(arguments: [
        ("8 (912) 555-01-02", "+79125550102"), ("+7 912 555 01 02", "+79125550102"), ("79125550102", "+79125550102"),
        ("9125550102", "+79125550102"), ("+49 30 1234567", "+49301234567"), ("0079125550102", "+79125550102"),
        ("375 29 123-45-67", "+375291234567"),
    ])
    func phoneNormalization(raw: String, expected: String) {
        #expect(ContactKey.phone(raw, countryCode: "7") == expected)
        if expected.hasPrefix("+7") { #expect(ContactKey.nationalNumber(expected, countryCode: "7") == "9125550102") }
    }

    @Test(
        arguments: [
            ("12", nil), ("abc", nil), ("555-555-SHIP", nil), ("+7 912 555 01", nil), ("8 912 555 01 02 03", nil),
            ("+1 (555) 555-55", nil),
        ] as [(String, String?)])
    func invalidPhones(raw: String, expected: String?) { #expect(ContactKey.phone(raw, countryCode: "7") == expected) }

    /// The customer's country picks the calling code; `default_country_code` is the fallback.
    @Test(
        arguments: [
            ("(555) 555-5555", "US", "+15555555555"), ("1 (555) 555-5555", "US", "+15555555555"),
            ("(555) 555-5555", "United States", "+15555555555"), ("(555) 555-5555", nil, "+75555555555"),
            ("030 1234567", "DE", "+49301234567"), ("07700 900123", "GB", "+447700900123"),
            ("8 (912) 555-01-02", "RU", "+79125550102"), ("8 (912) 555-01-02", "KZ", "+79125550102"),
            ("8 029 123-45-67", "BY", "+375291234567"), ("029 123-45-67", "BY", "+375291234567"), ("29 123-45-67", "BY", "+375291234567"),
            ("+7 912 555 01 02", "US", "+79125550102"),
            ("555-555-SHIP", "US", nil),
        ] as [(String, String?, String?)])
    func phonesByCountry(raw: String, country: String?, expected: String?) {
        #expect(ContactKey.phone(raw, countryCode: "7", country: country) == expected)
    }

    /// The whole ITU table: numbers as customers type them in their own countries.
    @Test(
        arguments: [
            ("06 12 34 56 78", "FR", "+33612345678"), ("06 12 34 56 78", "France", "+33612345678"),
            ("91 123 45 67", "ES", "+34911234567"), ("0412 345 678", "AU", "+61412345678"), ("021 123 4567", "ZA", "+27211234567"),
            ("07 07 12 34 56", "CI", "+2250707123456"), ("138 0013 8000", "CN", "+8613800138000"), ("(242) 555-0100", "BS", "+12425550100"),
            ("050 123 4567", "AE", "+971501234567"), ("0170 1234567", "DE", "+491701234567"), ("06 1234 5678", "IT", "+390612345678"),
            ("+39 06 1234 5678", nil, "+390612345678"), ("+47 123 45 678", nil, "+4712345678"), ("+47 1234567", nil, nil),
            ("+225 07 07 12 34 56", nil, "+2250707123456"), ("+225 07 12 34 56", nil, nil), ("9125550102", "ZZ", "+79125550102"),
        ] as [(String, String?, String?)])
    func phonesOfTheWholeTable(raw: String, country: String?, expected: String?) {
        #expect(ContactKey.phone(raw, countryCode: "7", country: country) == expected)
    }

    /// The table itself: 245 regions, every code 1–3 digits, and no code the beginning of
    /// another (E.164 codes are prefix-free; a mistyped code would make a number ambiguous).
    @Test func theCallingCodeTableIsWholeAndPrefixFree() {
        #expect(CallingCodes.countries.count == 245)
        let codes = Set(CallingCodes.countries.values.map(\.code))
        #expect(codes.allSatisfy { (1...3).contains($0.count) && $0.allSatisfy(\.isASCIIDigit) })
        let clashes = codes.filter { code in codes.contains { $0 != code && code.hasPrefix($0) } }
        #expect(clashes.isEmpty, "\(clashes.sorted())")
        #expect(CallingCodes.countries.keys.allSatisfy { $0.count == 2 && $0 == $0.uppercased() })
        #expect(CallingCodes.lengthsByCode["44"] == CallingCodes.countries["GB"]?.lengths, "GG, IM and JE add no length to 44")
        #expect(CallingCodes.countries.values.allSatisfy { $0.lengths.bits != 0 }, "every region has a length")
    }

    @Test(arguments: [(" Anna@Example.ORG ", "anna@example.org"), ("no-at-sign", nil), ("a@b", nil)] as [(String, String?)])
    func emailNormalization(raw: String, expected: String?) { #expect(ContactKey.email(raw) == expected) }

    @Test func orderFieldsGoodsNoteAndOverrides() throws {
        let input: JSONValue = [
            "id": 1042, "customer": ["name": " Anna ", "phone": "8 (912) 555-01-02", "email": "Anna@Example.org"],
            "address": ["city": "Perm", "street": "Lenina"], "comment": "  ",
            "items": [["name": "Kettle", "sku": "K-77", "price": 5100, "quantity": 1], ["name": "Cup", "price": 19.99, "quantity": 2]],
            "delivery": ["name": "Courier", "cost": 390], "payment": ["name": "Card"], "total": 5530, "currency": "RUB",
            "utm": ["source": "yandex", "gclid": "abc"],
            "amocrm": ["lead": ["Город": "Moscow", "4242": "x"], "contact": ["Должность": "CEO"]],
        ]
        let job = try Mapper(config: Self.config()).mapOrder(input)
        let lead = try #require(job.plan.lead)
        #expect(job.externalID == "1042")
        #expect(job.plan.key == "orders:1042")
        #expect(lead.name == "Заказ #1042")
        #expect(lead.tags == ["shop"])
        let fields = Dictionary(lead.fields.map { ($0.field.label, $0.value) }, uniquingKeysWith: { $1 })
        #expect(fields["Товары"] == "Kettle (K-77) 5 100 × 1 = 5 100 ₽\nCup 19.99 × 2 = 39.98 ₽", "roubles as Russians print them")
        #expect(lead.fields.first { $0.from == "goods" }?.field == .name("Товары", type: "textarea"))
        #expect(fields["Стоимость доставки"] == "390")
        #expect(fields["Комментарий"] == nil, "blank values are skipped")
        #expect(fields["UTM_SOURCE"] == "yandex")
        #expect(fields["GCLID"] == "abc")
        #expect(fields["#4242"] == "x")
        // The override comes after the mapped value, so it wins at delivery.
        let city = lead.fields.filter { $0.field.label == "Город" }.map(\.value)
        #expect(city == ["Perm", "Moscow"])
        let contact = try #require(job.plan.contact)
        #expect(contact.name == "Anna")
        #expect(contact.phones == ["+79125550102"])
        #expect(contact.emails == ["anna@example.org"])
        #expect(contact.fields.map(\.value) == ["Perm", "CEO"])
        let note = try #require(job.plan.note)
        #expect(note.contains("Доставка: Courier (390 ₽)"))
        #expect(note.contains("Оплата: Card"))
        #expect(note.contains("Итого: 5 530 ₽"))
        #expect(note.contains("utm_source=yandex"))
        #expect(job.searchKeys == ["1042", "+79125550102", "anna@example.org"])
    }

    @Test func statusMapSetsStatusOnCreate() throws {
        let job = try Mapper(config: Self.config()).mapOrder(Self.order(items: [Self.item([])], extra: ["status": "paid"]))
        #expect(job.plan.lead?.statusID == 555)
        #expect(job.plan.lead?.mappedStatusID == 555)
    }

    @Test(
        arguments: [
            (
                JSONValue.object(["customer": ["phone": "1"], "items": []]),
                [
                    "id: required: a non-empty string or number", "customer.phone: \"1\" is not a valid phone number",
                    "items: required: at least one item, or a total",
                ]
            ),
            (JSONValue.object(["id": "1", "customer": [:], "total": 5]), ["customer: required: customer.phone or customer.email"]),
            (
                JSONValue.object(["id": "1", "customer": ["email": "x"], "total": "abc"]),
                ["customer.email: not an email address", "total: expected a number"]
            ),
            (JSONValue.object(["id": "1", "customer": ["email": "a@b.c"], "items": "many"]), ["items: expected an array"]),
            (JSONValue.object(["id": "1", "customer": ["email": "a@b.c"], "items": [["price": 1]]]), ["items.0.name: required"]),
            (JSONValue.array([]), ["expected a JSON object"]),
        ] as [(JSONValue, [String])])
    func invalidOrdersAreRejectedWithDetails(input: JSONValue, expected: [String]) {
        #expect(throws: MappingError.self) { try Mapper(config: Self.config()).mapOrder(input) }
        do { _ = try Mapper(config: Self.config()).mapOrder(input) } catch {
            #expect(error.details.map { $0.path.isEmpty ? $0.problem : "\($0.path): \($0.problem)" } == expected)
        }
    }

    @Test func invalidPhoneWithValidEmailIsAWarning() throws {
        let job = try Mapper(config: Self.config()).mapOrder(["id": "2", "customer": ["phone": "123", "email": "a@b.cd"], "total": 1])
        #expect(job.plan.contact?.phones == [])
        #expect(job.plan.warnings == ["customer.phone: \"123\" is not a valid phone number, value dropped"])
        #expect(job.plan.note?.contains("Телефон (не распознан): 123") == true, "kept as written in the note")
        #expect(job.plan.contact?.unmatchedPhones == ["123"], "and on the contact, as written")
    }

    /// A form's `country` input picks the phone's calling code too.
    @Test func aFormsCountryPicksTheCallingCode() throws {
        let values: JSONValue = ["name": "Jane", "phone": "(555) 555-5555", "Country": "US"]
        let job = try Mapper(config: Self.config()).mapForm("callback", values: values, externalID: "k2")
        #expect(job.plan.contact?.phones == ["+15555555555"])
    }

    @Test func formMapping() throws {
        let values: JSONValue = [
            "name": "Oleg", "phone": "+7 912 555 01 02", "message": "Call me", "utm_source": "google",
            "page": "https://shop.example/contacts",
        ]
        let job = try Mapper(config: Self.config()).mapForm("callback", values: values, externalID: "k1")
        #expect(job.plan.key == "forms:callback:k1")
        #expect(job.plan.lead?.name == "Заявка: Oleg")
        #expect(job.plan.lead?.pipelineID == 100, "a form without its own pipeline uses the orders default")
        #expect(job.plan.lead?.tags == ["site"])
        #expect(job.plan.lead?.fields.map { "\($0.field.label)=\($0.value)" } == ["Сообщение=Call me", "UTM_SOURCE=google"])
        #expect(job.plan.contact?.phones == ["+79125550102"])
        #expect(job.plan.note?.contains("Страница: https://shop.example/contacts") == true)
    }

    @Test(
        arguments: [
            (JSONValue.object(["name": "x"]), ["phone: required"]),
            (JSONValue.object(["phone": "   "]), ["phone: required"]),
            (JSONValue.object(["phone": "123"]), ["phone: \"123\" is not a valid phone number"]),
            (JSONValue.object(["phone": ["nested": 1]]), ["phone: expected a text value, got an object", "phone: required"]),
        ] as [(JSONValue, [String])])
    func formRequiredFields(values: JSONValue, expected: [String]) {
        do {
            _ = try Mapper(config: Self.config()).mapForm("callback", values: values, externalID: "x")
            Issue.record("expected a mapping error")
        } catch {
            #expect(error.details.map { "\($0.path): \($0.problem)" } == expected)
        }
    }

    @Test func contactOnlyForm() throws {
        let job = try Mapper(config: Self.config()).mapForm(
            "profile", values: ["email": "Oleg@Example.org", "name": "Oleg"], externalID: "1")
        #expect(job.plan.lead == nil)
        #expect(job.plan.note == nil)
        #expect(job.plan.contact?.emails == ["oleg@example.org"])
        #expect(throws: MappingError.self) {
            try Mapper(config: Self.config()).mapForm("profile", values: ["name": "Oleg"], externalID: "1")
        }
    }

    @Test(arguments: [
        ("Заказ #{id}", "Заказ #7"), ("{customer.name}: {missing}!", "Anna: !"), ("{unclosed", "{unclosed"), ("plain", "plain"),
    ])
    func templates(template: String, expected: String) {
        #expect(Template.render(template, with: ["id": 7, "customer": ["name": "Anna"]]) == expected)
    }
}
