// JSONParsingTests
