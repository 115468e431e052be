/// Decoding of `application/x-www-form-urlencoded` query strings.
///
/// libmicrohttpd decodes query arguments too, but it leaves `+` as is, so `q=a+b` would not read as
/// `a b`; the raw request target is decoded here instead.
enum QueryString {
    /// The parameters of `raw` (the text after `?`); when a name repeats, the last value wins.
    ///
    /// `+` decodes to a space and `%XX` to its byte; malformed escapes are kept as written, and bytes that
    /// are not UTF-8 become U+FFFD.
    /// - Complexity: O(n) in the length of `raw`.
    static func decode(_ raw: String?) -> [String: String] {
        guard let raw, !raw.isEmpty else { return [:] }
        var parameters: [String: String] = [:]
        for pair in raw.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            if let equals = pair.firstIndex(of: UInt8(ascii: "=")) {
                let name = percentDecode(pair[pair.startIndex..<equals])
                parameters[name] = percentDecode(pair[pair.index(after: equals)...])
            } else {
                parameters[percentDecode(pair)] = ""
            }
        }
        return parameters
    }

    /// `bytes` with `+` turned into spaces and `%XX` escapes decoded.
    static func percentDecode(_ bytes: Substring.UTF8View.SubSequence) -> String {
        guard bytes.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else {
            return String(decoding: bytes, as: UTF8.self)
        }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                decoded.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), let value = hexPair(bytes, after: index) {
                decoded.append(value)
                index = bytes.index(index, offsetBy: 2)
            } else {
                decoded.append(byte)
            }
            index = bytes.index(after: index)
        }
        return String(decoding: decoded, as: UTF8.self)
    }

    /// The byte written as two hex digits right after `index`, if both are there.
    private static func hexPair(_ bytes: Substring.UTF8View.SubSequence, after index: String.Index) -> UInt8? {
        let first = bytes.index(after: index)
        guard first < bytes.endIndex else { return nil }
        let second = bytes.index(after: first)
        guard second < bytes.endIndex, let high = hexValue(bytes[first]), let low = hexValue(bytes[second]) else {
            return nil
        }
        return high << 4 | low
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
