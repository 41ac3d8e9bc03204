/// The release: the one place the version is written (packaging/deb/build.sh reads it from here).
package enum AmoSync { package static let version = "0.8.0" }
