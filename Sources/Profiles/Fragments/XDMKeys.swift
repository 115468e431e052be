import JSONParsing
import TesseraCore

/// XDM's two spellings of a field (`xdm:person` and `person`) and the fields that are not attributes.
enum XDMKeys {
    /// The key without a leading `xdm:`.
    static func plain(_ key: String) -> String {
        key.utf8.starts(with: "xdm:".utf8) ? String(key.dropFirst(4)) : key
    }

    /// The member `name` of an XDM object, plain or `xdm:`-prefixed, the plain spelling first.
    static func member(_ node: JSONNode, _ name: String) -> JSONNode? {
        node[name] ?? node["xdm:" + name]
    }

    /// Whether a top-level field (already without `xdm:`) is an identity or repository field rather
    /// than an attribute: `identityMap`, `_id`, `@id`, `_repo`, `repo` and `repo:…`.
    static func isSystemField(_ name: String) -> Bool {
        switch name {
        case "identityMap", "_id", "@id", "_repo", "repo": true
        default: name.utf8.starts(with: "repo:".utf8)
        }
    }

    /// The subtree as a `JSONValue` with `xdm:` dropped from every object key.
    ///
    /// When an object has a key in both spellings the first in the document wins, as `JSONNode.value`
    /// does with duplicate keys.
    ///
    /// - Complexity: O(n) in the subtree's size; recursion is as deep as the subtree, which the
    ///   collection layer's nesting limit bounds.
    static func value(_ node: JSONNode) -> JSONValue {
        switch node.kind {
        case .object:
            var members: [String: JSONValue] = [:]
            members.reserveCapacity(node.count)
            for (key, child) in node.members {
                let name = plain(key)
                if members[name] == nil { members[name] = value(child) }
            }
            return .object(members)
        case .array:
            return .array(node.elements.map(value))
        default:
            return node.value
        }
    }
}
