import AmoSyncCLI

await AmoSyncCommand.runMain()
