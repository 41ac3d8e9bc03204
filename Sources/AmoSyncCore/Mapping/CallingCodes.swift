/// ITU-T E.164 country calling codes and the lengths of national significant numbers (the
/// digits after the calling code, without a trunk prefix), shipped with the code: no network.
/// Countries missing here fall back to the E.164 limits (8–15 digits in all).
enum CallingCodes {
    struct Country: Sendable {
        var code: String
        var lengths: ClosedRange<Int>
    }

    // swift-format-ignore
    static let countries: [String: Country] = [
        // The former Soviet Union, the Baltics
        "RU": .init(code: "7", lengths: 10...10), "KZ": .init(code: "7", lengths: 10...10), "BY": .init(code: "375", lengths: 9...9),
        "UA": .init(code: "380", lengths: 9...9), "UZ": .init(code: "998", lengths: 9...9), "KG": .init(code: "996", lengths: 9...9),
        "TJ": .init(code: "992", lengths: 9...9), "TM": .init(code: "993", lengths: 8...8), "AM": .init(code: "374", lengths: 8...8),
        "AZ": .init(code: "994", lengths: 9...9), "GE": .init(code: "995", lengths: 9...9), "MD": .init(code: "373", lengths: 8...8),
        "LV": .init(code: "371", lengths: 8...8), "LT": .init(code: "370", lengths: 8...8), "EE": .init(code: "372", lengths: 7...8),
        "MN": .init(code: "976", lengths: 8...8),
        // The Americas (NANP: 10 digits)
        "US": .init(code: "1", lengths: 10...10), "CA": .init(code: "1", lengths: 10...10), "MX": .init(code: "52", lengths: 10...10),
        "BR": .init(code: "55", lengths: 10...11), "AR": .init(code: "54", lengths: 10...11), "CL": .init(code: "56", lengths: 9...9),
        "CO": .init(code: "57", lengths: 10...10), "PE": .init(code: "51", lengths: 8...9),
        // Europe
        "GB": .init(code: "44", lengths: 9...10), "IE": .init(code: "353", lengths: 7...9), "DE": .init(code: "49", lengths: 6...13),
        "FR": .init(code: "33", lengths: 9...9), "IT": .init(code: "39", lengths: 6...11), "ES": .init(code: "34", lengths: 9...9),
        "PT": .init(code: "351", lengths: 9...9), "NL": .init(code: "31", lengths: 9...9), "BE": .init(code: "32", lengths: 8...9),
        "LU": .init(code: "352", lengths: 8...11), "CH": .init(code: "41", lengths: 9...9), "AT": .init(code: "43", lengths: 4...13),
        "PL": .init(code: "48", lengths: 9...9), "CZ": .init(code: "420", lengths: 9...9), "SK": .init(code: "421", lengths: 9...9),
        "HU": .init(code: "36", lengths: 8...9), "RO": .init(code: "40", lengths: 9...9), "BG": .init(code: "359", lengths: 8...9),
        "GR": .init(code: "30", lengths: 10...10), "CY": .init(code: "357", lengths: 8...8), "MT": .init(code: "356", lengths: 8...8),
        "SE": .init(code: "46", lengths: 7...9), "NO": .init(code: "47", lengths: 8...8), "DK": .init(code: "45", lengths: 8...8),
        "FI": .init(code: "358", lengths: 5...12), "IS": .init(code: "354", lengths: 7...7), "RS": .init(code: "381", lengths: 8...9),
        "HR": .init(code: "385", lengths: 8...9), "SI": .init(code: "386", lengths: 8...8), "ME": .init(code: "382", lengths: 8...8),
        "MK": .init(code: "389", lengths: 8...8), "AL": .init(code: "355", lengths: 8...9), "BA": .init(code: "387", lengths: 8...8),
        "TR": .init(code: "90", lengths: 10...10),
        // Middle East, Africa
        "IL": .init(code: "972", lengths: 8...9), "AE": .init(code: "971", lengths: 8...9), "SA": .init(code: "966", lengths: 9...9),
        "EG": .init(code: "20", lengths: 9...10), "ZA": .init(code: "27", lengths: 9...9), "NG": .init(code: "234", lengths: 8...10),
        "KE": .init(code: "254", lengths: 9...9),
        // Asia, Oceania
        "IN": .init(code: "91", lengths: 10...10), "CN": .init(code: "86", lengths: 10...11), "JP": .init(code: "81", lengths: 9...10),
        "KR": .init(code: "82", lengths: 8...10), "TH": .init(code: "66", lengths: 8...9), "VN": .init(code: "84", lengths: 9...10),
        "ID": .init(code: "62", lengths: 9...12), "MY": .init(code: "60", lengths: 8...10), "SG": .init(code: "65", lengths: 8...8),
        "PH": .init(code: "63", lengths: 10...10), "AU": .init(code: "61", lengths: 9...9), "NZ": .init(code: "64", lengths: 8...10),
    ]

    /// Country names platforms send instead of codes (Shopify's `country`, forms).
    static let names: [String: String] = [
        "russia": "RU", "russian federation": "RU", "россия": "RU", "kazakhstan": "KZ", "казахстан": "KZ", "belarus": "BY",
        "беларусь": "BY", "ukraine": "UA", "украина": "UA", "united states": "US", "usa": "US", "canada": "CA",
        "united kingdom": "GB", "germany": "DE", "france": "FR", "italy": "IT", "spain": "ES", "poland": "PL",
        "netherlands": "NL", "turkey": "TR", "israel": "IL", "china": "CN", "india": "IN", "uzbekistan": "UZ",
        "узбекистан": "UZ", "armenia": "AM", "georgia": "GE", "kyrgyzstan": "KG", "кыргызстан": "KG", "киргизия": "KG",
    ]

    /// An ISO 3166 alpha-2 code or a common name; nil when not known.
    static func country(_ text: String?) -> Country? {
        guard let text = text?.trimmed, !text.isEmpty else { return nil }
        if let country = countries[text.uppercased()] { return country }
        return names[text.lowercased()].flatMap { countries[$0] }
    }

    /// National number lengths allowed after a calling code (all countries sharing it).
    static let lengthsByCode: [String: ClosedRange<Int>] = {
        var result: [String: ClosedRange<Int>] = [:]
        for country in countries.values {
            let known = result[country.code]
            result[country.code] =
                known.map { min($0.lowerBound, country.lengths.lowerBound)...max($0.upperBound, country.lengths.upperBound) }
                ?? country.lengths
        }
        return result
    }()

    /// The calling code a full international number starts with, and whether the rest has a
    /// valid length for it; unknown codes accept any E.164 length.
    static func split(_ digits: String) -> (code: String, national: String)? {
        for length in 1...3 where digits.count > length {
            let code = String(digits.prefix(length))
            if let lengths = lengthsByCode[code] {
                let national = String(digits.dropFirst(length))
                return lengths.contains(national.count) ? (code, national) : nil
            }
        }
        return nil
    }
}
