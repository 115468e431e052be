// TesseraCommandsTests
