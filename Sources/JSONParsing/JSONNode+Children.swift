internal import CSimdJSON

extension JSONNode {
    /// The members of an object in document order, duplicate keys included; empty for other kinds.
    ///
    /// A lazy collection: each step hops over one member's subtree, and only the keys read are
    /// turned into Strings.
    public var members: Members {
        Members(children: Children(of: self, kind: .object))
    }

    /// The elements of an array in order; empty for other kinds.
    ///
    /// A lazy collection: each step hops over one element's subtree in O(1).
    public var elements: Elements {
        Elements(children: Children(of: self, kind: .array))
    }

    /// A position among the children of an array or object.
    public struct ChildIndex: Comparable, Hashable, Sendable {
        let position: Int

        public static func < (lhs: ChildIndex, rhs: ChildIndex) -> Bool { lhs.position < rhs.position }
    }

    /// The members of an object as `(key, value)` pairs.
    public struct Members: Collection, Sendable {
        let children: Children

        public var startIndex: ChildIndex { children.startIndex }
        public var endIndex: ChildIndex { children.endIndex }
        public var count: Int { children.count }

        public func index(after index: ChildIndex) -> ChildIndex { children.index(after: index) }

        public subscript(index: ChildIndex) -> (key: String, value: JSONNode) {
            let value = children[index]
            return (value.key, value)
        }
    }

    /// The elements of an array.
    public struct Elements: Collection, Sendable {
        let children: Children

        public var startIndex: ChildIndex { children.startIndex }
        public var endIndex: ChildIndex { children.endIndex }
        public var count: Int { children.count }

        public func index(after index: ChildIndex) -> ChildIndex { children.index(after: index) }

        public subscript(index: ChildIndex) -> JSONNode { children[index] }
    }

    /// The direct children of a container of one kind, reached by hopping from subtree end to end.
    struct Children: Sendable {
        let storage: DocumentStorage
        let startIndex: ChildIndex
        let endIndex: ChildIndex
        let count: Int

        init(of parent: JSONNode, kind: JSONKind) {
            let node = parent.node
            storage = parent.storage
            if JSONKind(tapeInfo: node.info) == kind {
                startIndex = ChildIndex(position: parent.index + 1)
                endIndex = ChildIndex(position: Int(node.end))
                count = Int(node.payload.container.count)
            } else {
                startIndex = ChildIndex(position: parent.index + 1)
                endIndex = startIndex
                count = 0
            }
        }

        func index(after index: ChildIndex) -> ChildIndex {
            precondition(index < endIndex, "index out of range")
            return ChildIndex(position: Int(storage.nodes[index.position].end))
        }

        subscript(index: ChildIndex) -> JSONNode {
            precondition(index >= startIndex && index < endIndex, "index out of range")
            return JSONNode(storage: storage, index: index.position)
        }
    }
}
