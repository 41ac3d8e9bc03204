import AmoSyncCLI

/// The executable: the root command, as argument-parser runs it.
@main extension AmoSyncCommand {}
