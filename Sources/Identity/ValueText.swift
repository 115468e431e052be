/// Small text helpers for identity values, written on the standard library so that the
/// normalisation path needs no Foundation.
enum ValueText {
    /// `text` without leading and trailing Unicode white space (spaces, tabs, line breaks, NBSP).
    static func trimmed(_ text: String) -> String {
        // Most values start and end with a visible ASCII character: nothing to look up then.
        let visible = UInt8(ascii: "!")...UInt8(ascii: "~")
        if let first = text.utf8.first, let last = text.utf8.last, visible.contains(first), visible.contains(last) {
            return text
        }
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        if first == scalars.startIndex && last == scalars.index(before: scalars.endIndex) { return text }
        return String(scalars[first...last])
    }

    /// Whether `text` holds a control character (C0, DEL or C1), which no identifier carries.
    static func hasControlCharacter(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
    }

    /// Whether `text` holds white space anywhere.
    static func hasWhitespace(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.properties.isWhitespace }
    }
}
