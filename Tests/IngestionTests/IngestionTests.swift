// IngestionTests
