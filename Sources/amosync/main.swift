import AmoSyncCore

await AmoSyncCommand.runMain()
