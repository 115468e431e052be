// The Ingestion module; its files land with the collection server.
