import TesseraCore

/// One token of the text language, with the place it starts.
struct AudienceToken: Sendable {
    enum Kind: Sendable, Equatable {
        case word(String)
        case string(String)
        case int(Int64)
        case double(Double)
        case date(AudienceDate)
        case symbol(String)
        case end
    }

    var kind: Kind
    var line: Int
    var column: Int
    /// The token as written, used in error messages.
    var spelling: String

    /// How an error message names this token: `"gold"`, `the quoted string "gold"`, `the end of the rule`.
    var described: String {
        switch kind {
        case .word, .symbol: return "\"\(spelling)\""
        case .string: return "the quoted string \(spelling)"
        case .int, .double: return "the number \(spelling)"
        case .date: return "the date \(spelling)"
        case .end: return "the end of the rule"
        }
    }

    /// Whether the token is the keyword `keyword` (keywords are matched without regard to case).
    func isKeyword(_ keyword: String) -> Bool {
        if case .word(let word) = kind { return word.lowercased() == keyword }
        return false
    }

    func isSymbol(_ symbol: String) -> Bool {
        if case .symbol(let value) = kind { return value == symbol }
        return false
    }
}

/// Splits rule text into tokens: words, quoted strings, numbers, dates and symbols; `#` starts a comment.
///
/// Hand-written, like the parser: no parser generator can be fetched here and the language is small
/// enough that a direct scanner gives better messages than a generated one would.
///
/// - Complexity: O(n) in the length of the text.
struct AudienceLexer {
    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    private var column = 1

    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
    }

    /// Reads every token, ending with `.end`.
    mutating func tokens() throws(AudienceSyntaxError) -> [AudienceToken] {
        var result: [AudienceToken] = []
        while true {
            skipSpaceAndComments()
            let token = try next()
            result.append(token)
            if token.kind == .end { return result }
        }
    }

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        index + offset < scalars.count ? scalars[index + offset] : nil
    }

    private mutating func advance() {
        if scalars[index] == "\n" {
            line += 1
            column = 1
        } else {
            column += 1
        }
        index += 1
    }

    private mutating func skipSpaceAndComments() {
        while let scalar = peek() {
            if scalar == "#" {
                while let inner = peek(), inner != "\n" { advance() }
            } else if scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" {
                advance()
            } else {
                return
            }
        }
    }

    private func error(_ message: String, line: Int, column: Int, expected: [String] = []) -> AudienceSyntaxError {
        AudienceSyntaxError(line: line, column: column, message: message, expected: expected)
    }

    private mutating func next() throws(AudienceSyntaxError) -> AudienceToken {
        let startLine = line
        let startColumn = column
        let start = index
        guard let scalar = peek() else {
            return AudienceToken(kind: .end, line: line, column: column, spelling: "")
        }

        let kind: AudienceToken.Kind
        if Self.isWordStart(scalar) {
            while let inner = peek(), Self.isWordStart(inner) || Self.isDigit(inner) { advance() }
            kind = .word(spelling(from: start))
        } else if Self.isDigit(scalar) || (scalar == "-" && peek(1).map(Self.isDigit) == true) {
            kind = try number(line: startLine, column: startColumn)
        } else if scalar == "\"" {
            kind = .string(try quoted(line: startLine, column: startColumn))
        } else {
            kind = .symbol(try symbol(line: startLine, column: startColumn))
        }
        return AudienceToken(kind: kind, line: startLine, column: startColumn, spelling: spelling(from: start))
    }

    private func spelling(from start: Int) -> String {
        var text = ""
        text.unicodeScalars.append(contentsOf: scalars[start..<index])
        return text
    }

    private mutating func symbol(line: Int, column: Int) throws(AudienceSyntaxError) -> String {
        let scalar = scalars[index]
        switch scalar {
        case "(", ")", "[", "]", ",", ".", "=":
            advance()
            return String(scalar)
        case "<", ">":
            advance()
            if peek() == "=" {
                advance()
                return String(scalar) + "="
            }
            return String(scalar)
        case "!":
            advance()
            guard peek() == "=" else {
                throw error("\"!\" must be followed by \"=\"", line: line, column: column, expected: ["\"!=\""])
            }
            advance()
            return "!="
        default:
            let shown = scalar.properties.isWhitespace || scalar.value < 0x20 ? "U+\(hex(scalar.value))" : "\(scalar)"
            throw error("unexpected character \"\(shown)\"", line: line, column: column)
        }
    }

    private func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    private mutating func digits() -> String {
        var text = ""
        while let scalar = peek(), Self.isDigit(scalar) {
            text.unicodeScalars.append(scalar)
            advance()
        }
        return text
    }

    private mutating func number(line: Int, column: Int) throws(AudienceSyntaxError) -> AudienceToken.Kind {
        if peek() != "-", (0..<4).allSatisfy({ peek($0).map(Self.isDigit) == true }), peek(4) == "-" {
            return .date(try date(line: line, column: column))
        }
        var text = ""
        if peek() == "-" {
            text = "-"
            advance()
        }
        text += digits()
        var isDouble = false
        if peek() == ".", peek(1).map(Self.isDigit) == true {
            advance()
            text += "." + digits()
            isDouble = true
        }
        if peek() == "e" || peek() == "E",
            peek(1).map(Self.isDigit) == true
                || ((peek(1) == "+" || peek(1) == "-") && peek(2).map(Self.isDigit) == true)
        {
            text += "e"
            advance()
            if let sign = peek(), sign == "+" || sign == "-" {
                text.unicodeScalars.append(sign)
                advance()
            }
            text += digits()
            isDouble = true
        }
        if isDouble {
            guard let value = Double(text), value.isFinite else {
                throw error("the number \(text) is too large", line: line, column: column)
            }
            return .double(value)
        }
        guard let value = Int64(text) else {
            throw error("the number \(text) is too large for a whole number", line: line, column: column)
        }
        return .int(value)
    }

    /// Reads `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM[:SS[.fff]]` followed by `Z` or `±HH:MM`.
    private mutating func date(line: Int, column: Int) throws(AudienceSyntaxError) -> AudienceDate {
        var text = digits()
        while let scalar = peek(), Self.isDigit(scalar) || ":-+.TZ".unicodeScalars.contains(scalar) {
            text.unicodeScalars.append(scalar)
            advance()
        }
        guard let date = AudienceDateParser.parse(text) else {
            throw error(
                "\"\(text)\" is not a valid date", line: line, column: column,
                expected: ["a date like 2026-01-31 or 2026-01-31T09:30:00Z"])
        }
        return date
    }

    private mutating func quoted(line: Int, column: Int) throws(AudienceSyntaxError) -> String {
        advance()
        var value = ""
        while true {
            guard let scalar = peek(), scalar != "\n", scalar != "\r" else {
                throw error(
                    "the quoted string is not closed on the line it starts", line: line, column: column,
                    expected: ["a closing \""])
            }
            let escapeLine = self.line
            let escapeColumn = self.column
            advance()
            if scalar == "\"" { return value }
            guard scalar == "\\" else {
                value.unicodeScalars.append(scalar)
                continue
            }
            value.unicodeScalars.append(try escape(line: escapeLine, column: escapeColumn))
        }
    }

    private mutating func escape(line: Int, column: Int) throws(AudienceSyntaxError) -> Unicode.Scalar {
        let allowed = ["\\\"", "\\\\", "\\n", "\\t", "\\r", "\\u{…}"]
        guard let scalar = peek() else {
            throw error("unknown escape in a quoted string", line: line, column: column, expected: allowed)
        }
        advance()
        switch scalar {
        case "\"": return "\""
        case "\\": return "\\"
        case "n": return "\n"
        case "t": return "\t"
        case "r": return "\r"
        case "u":
            var hexDigits = ""
            if peek() == "{" {
                advance()
                while let digit = peek(), digit.properties.isASCIIHexDigit, hexDigits.count < 8 {
                    hexDigits.unicodeScalars.append(digit)
                    advance()
                }
                if peek() == "}", let value = UInt32(hexDigits, radix: 16), let result = Unicode.Scalar(value) {
                    advance()
                    return result
                }
            }
            throw error(
                "a \\u escape needs a Unicode scalar in hexadecimal, like \\u{e9}", line: line, column: column,
                expected: ["\\u{…}"])
        default:
            throw error(
                "unknown escape \"\\\(scalar)\" in a quoted string", line: line, column: column, expected: allowed)
        }
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { scalar >= "0" && scalar <= "9" }

    private static func isWordStart(_ scalar: Unicode.Scalar) -> Bool {
        (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || scalar == "_"
    }

    /// Whether `text` is one identifier as the lexer reads it (ASCII letters, digits, `_`; no leading digit).
    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, isWordStart(first) else { return false }
        return text.unicodeScalars.allSatisfy { isWordStart($0) || isDigit($0) }
    }
}

/// Reads the ISO-8601 dates the language accepts, in text and in JSON.
enum AudienceDateParser {
    /// The date `text` names, or `nil` when it is not `YYYY-MM-DD[THH:MM[:SS[.fff]](Z|±HH:MM)]` or not a real day.
    static func parse(_ text: String) -> AudienceDate? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let year = number(bytes, 0, 4), let month = number(bytes, 5, 2), let day = number(bytes, 8, 2),
            (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year)
        else { return nil }
        let calendarDay = AudienceDate(year: year, month: month, day: day)
        if bytes.count == 10 { return calendarDay }

        guard bytes[10] == UInt8(ascii: "T"), bytes.count >= 16, bytes[13] == UInt8(ascii: ":"),
            let hour = number(bytes, 11, 2), let minute = number(bytes, 14, 2), hour < 24, minute < 60
        else { return nil }
        var position = 16
        var second: Int64 = 0
        var millisecond: Int64 = 0
        if position < bytes.count, bytes[position] == UInt8(ascii: ":") {
            guard let value = number(bytes, position + 1, 2), value < 60 else { return nil }
            second = value
            position += 3
            if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
                guard let value = number(bytes, position + 1, 3) else { return nil }
                millisecond = value
                position += 4
            }
        }

        guard let offset = zoneOffset(bytes, position) else { return nil }
        let ofDay = ((hour * 60 + minute) * 60 + second) * 1000 + millisecond
        let instant = calendarDay.timestamp.milliseconds + ofDay - offset
        return AudienceDate(timestamp: Timestamp(milliseconds: instant), hasTime: true)
    }

    /// The zone offset in milliseconds for `Z` or `±HH:MM` ending the text at `position`.
    private static func zoneOffset(_ bytes: [UInt8], _ position: Int) -> Int64? {
        if position == bytes.count - 1, bytes[position] == UInt8(ascii: "Z") { return 0 }
        guard position + 6 == bytes.count, bytes[position + 3] == UInt8(ascii: ":"),
            bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-"),
            let hours = number(bytes, position + 1, 2), let minutes = number(bytes, position + 4, 2),
            hours < 24, minutes < 60
        else { return nil }
        let magnitude = (hours * 60 + minutes) * 60_000
        return bytes[position] == UInt8(ascii: "+") ? magnitude : -magnitude
    }

    private static func number(_ bytes: [UInt8], _ start: Int, _ length: Int) -> Int64? {
        guard start + length <= bytes.count else { return nil }
        var value: Int64 = 0
        for byte in bytes[start..<start + length] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
