public enum AmoSync { public static let version = "0.1.0" }
