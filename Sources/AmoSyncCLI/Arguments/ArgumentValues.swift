import AmoSyncCore
import AmoSyncServer
import ArgumentParser
import Logging

// Option values argument-parser parses, validates and lists in `--help` itself: a wrong value
// is a usage error (exit 2) naming the option and the allowed values.

extension JobState: ExpressibleByArgument {}
extension JobKind: ExpressibleByArgument {}
extension LineLogHandler.Format: ExpressibleByArgument {}

extension Logger.Level: @retroactive ExpressibleByArgument {}
