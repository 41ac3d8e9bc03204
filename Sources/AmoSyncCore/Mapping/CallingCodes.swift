/// ITU-T E.164 country calling codes and the possible lengths of national significant numbers
/// (the digits after the calling code, without a trunk prefix) for every geographic region
/// ITU assigns a code to (245 ISO 3166 regions, shipped with the code: no network). The
/// lengths are those Google's libphonenumber metadata names as possible for any kind of
/// number in the region (fixed, mobile, toll-free …); two regions renumbered since were
/// updated by hand: Côte d'Ivoire (CI, 8 → 10 digits, 2021) and Benin (BJ, 10 digits since
/// 2024, 8 kept). Non-geographic codes (800, 870, 882 …) are not listed: a `+` number with
/// one is taken as written.
enum CallingCodes {
    struct Country: Sendable {
        var code: String
        var lengths: Lengths
    }

    /// A set of lengths 1…31 as bits.
    struct Lengths: Sendable, Equatable {
        var bits: UInt32 = 0

        func contains(_ length: Int) -> Bool { (0..<32).contains(length) && bits & (1 << UInt32(length)) != 0 }

        func union(_ other: Lengths) -> Lengths { Lengths(bits: bits | other.bits) }

        /// `"7,9-10"` → {7, 9, 10}.
        init(_ text: Substring) {
            for part in text.split(separator: ",") {
                let bounds = part.split(separator: "-").compactMap { Int($0) }
                for length in (bounds.first ?? 0)...(bounds.last ?? 0) { bits |= 1 << UInt32(length) }
            }
        }

        init(bits: UInt32) { self.bits = bits }
    }

    /// Region, calling code, national number lengths; three words per region.
    static let table = """
        AC 247 5-6 AD 376 6,8-9 AE 971 5-12 AF 93 9 AG 1 10 AI 1 10 AL 355 6-9 AM 374 8 AO 244 9 AR 54 10-11 AS 1 10
        AT 43 4-13 AU 61 5-10 AW 297 7 AX 358 5-12 AZ 994 9 BA 387 8-9 BB 1 10 BD 880 6-10 BE 32 8-9 BF 226 8 BG 359 6-9
        BH 973 8 BI 257 8 BJ 229 8,10 BL 590 9 BM 1 10 BN 673 7 BO 591 8-9 BQ 599 7 BR 55 8-11 BS 1 10 BT 975 7-8 BW 267 7-8
        BY 375 6-11 BZ 501 7,11 CA 1 10 CC 61 6-10 CD 243 7,9 CF 236 8 CG 242 9 CH 41 9 CI 225 10 CK 682 5 CL 56 9-11
        CM 237 8-9 CN 86 7-12 CO 57 8,10-11 CR 506 8,10 CU 53 6-8 CV 238 7 CW 599 7-8 CX 61 6-10 CY 357 8 CZ 420 9 DE 49 4-15
        DJ 253 8 DK 45 8 DM 1 10 DO 1 10 DZ 213 8-9 EC 593 8-11 EE 372 7-8,10 EG 20 8-10 EH 212 9 ER 291 7 ES 34 9 ET 251 9
        FI 358 5-12 FJ 679 7,11 FK 500 5 FM 691 7 FO 298 6 FR 33 9 GA 241 7-8 GB 44 7,9-10 GD 1 10 GE 995 9 GF 594 9
        GG 44 7,9-10 GH 233 8-9 GI 350 8 GL 299 6 GM 220 7 GN 224 8-9 GP 590 9 GQ 240 9 GR 30 10 GT 502 8,11 GU 1 10 GW 245 7,9
        GY 592 7 HK 852 5-9,11 HN 504 8 HR 385 6-9 HT 509 8 HU 36 8-9 ID 62 7-12 IE 353 7-10 IL 972 4,7-12 IM 44 10 IN 91 8-13
        IO 246 7 IQ 964 8-10 IR 98 6-7,10 IS 354 7,9 IT 39 6-11 JE 44 10 JM 1 10 JO 962 8-9 JP 81 8-17 KE 254 7-10 KG 996 9-10
        KH 855 8-10 KI 686 5,8 KM 269 7 KN 1 10 KP 850 8,10 KR 82 5-6,8-14 KW 965 7-8 KY 1 10 KZ 7 10 LA 856 8-10 LB 961 7-8
        LC 1 10 LI 423 7,9 LK 94 9 LR 231 7-9 LS 266 8 LT 370 8 LU 352 4-11 LV 371 8 LY 218 9 MA 212 9 MC 377 8-9 MD 373 8
        ME 382 8 MF 590 9 MG 261 9 MH 692 7 MK 389 8 ML 223 8 MM 95 6-10 MN 976 8-10 MO 853 8 MP 1 10 MQ 596 9 MR 222 8 MS 1 10
        MT 356 8 MU 230 7-8 MV 960 7,10 MW 265 7,9 MX 52 10-11 MY 60 8-10 MZ 258 8-9 NA 264 8-9 NC 687 6 NE 227 8 NF 672 6
        NG 234 7-8,10-14 NI 505 8 NL 31 5-10 NO 47 5,8 NP 977 8,10 NR 674 7 NU 683 4 NZ 64 8-10 OM 968 7-9 PA 507 7-8 PE 51 8-9
        PF 689 6,8 PG 675 7-8 PH 63 6,8-13 PK 92 8-12 PL 48 6-9 PM 508 6 PR 1 10 PS 970 8-10 PT 351 9 PW 680 7 PY 595 6-9
        QA 974 7-8 RE 262 9 RO 40 6,9 RS 381 6-12 RU 7 10 RW 250 8-9 SA 966 9-10 SB 677 5,7 SC 248 7 SD 249 9 SE 46 6-10
        SG 65 8,10-11 SH 290 4-5 SI 386 5-8 SJ 47 5,8 SK 421 6-7,9 SL 232 8 SM 378 8,10 SN 221 9 SO 252 6-9 SR 597 6-7 SS 211 9
        ST 239 7 SV 503 7-8,11 SX 1 10 SY 963 8-9 SZ 268 8-9 TA 290 4 TC 1 10 TD 235 8 TG 228 8 TH 66 8-10 TJ 992 9 TK 690 4-7
        TL 670 7-8 TM 993 8 TN 216 8 TO 676 5,7 TR 90 7,10 TT 1 10 TV 688 5-7 TW 886 7-10 TZ 255 7,9 UA 380 9 UG 256 9 US 1 10
        UY 598 7-8 UZ 998 9 VA 39 6,8-11 VC 1 10 VE 58 10 VG 1 10 VI 1 10 VN 84 7-10 VU 678 5,7 WF 681 6 WS 685 5-7 XK 383 8-9
        YE 967 7-9 YT 262 9 ZA 27 5-9 ZM 260 9 ZW 263 5-10
        """

    static let countries: [String: Country] = {
        let words = table.split(whereSeparator: \.isWhitespace)
        var result: [String: Country] = [:]
        for index in stride(from: 0, to: words.count - 2, by: 3) {
            result[String(words[index])] = Country(code: String(words[index + 1]), lengths: Lengths(words[index + 2]))
        }
        return result
    }()

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

    /// National number lengths allowed after a calling code (all regions sharing it).
    static let lengthsByCode: [String: Lengths] = {
        var result: [String: Lengths] = [:]
        for country in countries.values { result[country.code] = result[country.code]?.union(country.lengths) ?? country.lengths }
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
