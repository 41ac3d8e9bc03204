package enum AmoSync { package static let version = "0.1.0" }
