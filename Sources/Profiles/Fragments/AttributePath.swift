/// Dotted attribute paths: how the keys of a nested object become one attribute's address.
///
/// A path joins the keys from the top of the object down with `.` (`address.city`,
/// `person.name.firstName`). Keys that themselves hold `.` or `\` (XDM's
/// `https://ns.adobe.com/xdm/channels/email` opt-in keys, for one) have those characters escaped
/// with `\`, so every path splits back into exactly the keys it was made from. Keys without either
/// character, which is nearly all of them, appear unchanged.
public enum AttributePath {
    /// The path of a value reached through `keys`, from the top of the object down.
    ///
    /// - Parameter keys: the object keys, outermost first.
    /// - Returns: the keys escaped and joined with `.`.
    public static func join<Keys: Sequence>(_ keys: Keys) -> String where Keys.Element == String {
        var path = ""
        var isFirst = true
        for key in keys {
            if !isFirst { path.append(".") }
            isFirst = false
            path.append(escape(key))
        }
        return path
    }

    /// The path one level below `parent`: `parent.key`, or just `key` at the top.
    public static func appending(_ key: String, to parent: String) -> String {
        parent.isEmpty ? escape(key) : parent + "." + escape(key)
    }

    /// The keys a path was made from, outermost first, with escapes removed.
    ///
    /// Works on UTF-8 bytes, so a `.` followed by a combining mark still separates keys.
    ///
    /// - Complexity: O(n) in the path's length.
    public static func keys(of path: String) -> [String] {
        var keys: [String] = []
        var current: [UInt8] = []
        var escaping = false
        for byte in path.utf8 {
            if escaping {
                current.append(byte)
                escaping = false
            } else if byte == backslash {
                escaping = true
            } else if byte == dot {
                keys.append(String(decoding: current, as: UTF8.self))
                current.removeAll(keepingCapacity: true)
            } else {
                current.append(byte)
            }
        }
        keys.append(String(decoding: current, as: UTF8.self))
        return keys
    }

    /// A key with `\` and `.` escaped.
    private static func escape(_ key: String) -> String {
        guard key.utf8.contains(where: { $0 == dot || $0 == backslash }) else { return key }
        var escaped: [UInt8] = []
        escaped.reserveCapacity(key.utf8.count + 4)
        for byte in key.utf8 {
            if byte == dot || byte == backslash { escaped.append(backslash) }
            escaped.append(byte)
        }
        return String(decoding: escaped, as: UTF8.self)
    }

    private static let dot = UInt8(ascii: ".")
    private static let backslash = UInt8(ascii: "\\")
}
