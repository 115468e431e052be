// The TesseraCommands module; its files land with the collection server.
