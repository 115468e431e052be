// TesseraCoreTests
