// The Storage module; its files land with the collection server.
