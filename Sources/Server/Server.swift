// The Server module; its files land with the collection server.
