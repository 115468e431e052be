// The JSONParsing module; its files land with the collection server.
