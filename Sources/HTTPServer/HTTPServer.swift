// The HTTPServer module; its files land with the collection server.
