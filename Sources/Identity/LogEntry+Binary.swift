import JSONParsing
import TesseraCore

/// A compact binary form of log entries, for storing the identity log and rebuilding the graph
/// from it quickly.
///
/// Layout: the format byte `LogEntry.binaryFormat` (1), then the kind (one byte), sequence and
/// observation, the provenance (a byte saying which of record and source are present, those, the
/// rule and the time), then the change's members in the order of its case. Integers are LEB128
/// varints, signed ones zig-zag coded; strings are a varint length and UTF-8 bytes; an identity is
/// its namespace then its value (`TesseraCore`'s `BinaryWriter` and `BinaryReader` write and read
/// them). A `linked` entry of two short identities takes about 50 bytes against 220 in JSON.
///
/// JSON text starts with white space, `{`, `[` or another printable character, never with byte 1,
/// so `LogEntry(stored:)` tells the two forms apart by their first byte and reads logs written
/// before this form existed. A later format would take the next byte value.
extension LogEntry {
    /// The first byte of the binary form, which names its version.
    public static let binaryFormat: UInt8 = 1

    /// The entry in the compact binary form that `LogEntry(decoding:)` reads.
    ///
    /// - Complexity: O(size of the entry), one allocation.
    public var encoded: [UInt8] {
        var writer = EntryWriter()
        writer.byte(Self.binaryFormat)
        writer.byte(change.kindCode)
        writer.signed(sequence)
        writer.signed(observation)
        writer.provenance(provenance)
        writer.change(change)
        return writer.bytes
    }

    /// Reads the binary form written by `encoded`.
    ///
    /// Strings are read as `BinaryReader` reads them: bytes that are not UTF-8 are replaced rather
    /// than refused (the encoder only writes Swift strings, so only a damaged store holds them).
    ///
    /// - Parameter bytes: one encoded entry, with nothing after it.
    /// - Throws: `IdentityDecodingError` when the bytes are not a whole entry of a known format.
    public init(decoding bytes: [UInt8]) throws(IdentityDecodingError) {
        var reader = EntryReader(bytes)
        self = try reader.entry()
    }

    /// Reads an entry as stored in either form: binary (`encoded`) or JSON (`json`, serialised).
    ///
    /// - Throws: `IdentityDecodingError` when the bytes are neither a whole binary entry nor a JSON
    ///   entry.
    public init(stored bytes: [UInt8]) throws(IdentityDecodingError) {
        if bytes.first == Self.binaryFormat {
            try self.init(decoding: bytes)
            return
        }
        let json: JSONValue
        do {
            json = try JSONValue(parsing: bytes)
        } catch {
            throw IdentityDecodingError("a stored entry is neither binary nor JSON")
        }
        try self.init(json: json)
    }
}

extension LogEntry.Change {
    /// The kind's number in the binary form; never reused for another kind.
    var kindCode: UInt8 {
        switch self {
        case .touched: 0
        case .created: 1
        case .linked: 2
        case .merged: 3
        case .refused: 4
        case .cooccurred: 5
        case .flagged: 6
        case .evicted: 7
        case .unlinked: 8
        case .removed: 9
        case .split: 10
        }
    }
}

/// Appends the parts of an entry's binary form, on the shared `BinaryWriter`.
private struct EntryWriter {
    var writer = BinaryWriter(capacity: 64)

    var bytes: [UInt8] { writer.bytes }

    mutating func byte(_ value: UInt8) { writer.byte(value) }

    mutating func unsigned(_ value: UInt64) { writer.unsigned(value) }

    mutating func signed(_ value: Int64) { writer.signed(value) }

    mutating func string(_ text: String) { writer.string(text) }

    mutating func identity(_ identity: Identity) {
        string(identity.namespace)
        string(identity.value)
    }

    mutating func provenance(_ provenance: Provenance) {
        byte(UInt8(provenance.record == nil ? 0 : 1) | UInt8(provenance.source == nil ? 0 : 2))
        if let record = provenance.record { signed(record) }
        if let source = provenance.source { signed(source) }
        string(provenance.rule)
        signed(provenance.time.milliseconds)
    }

    mutating func change(_ change: LogEntry.Change) {
        switch change {
        case .touched(let a):
            identity(a)
        case .created(let profile, let a):
            signed(profile.rawValue)
            identity(a)
        case .linked(let a, let b), .unlinked(let a, let b), .cooccurred(let a, with: let b):
            identity(a)
            identity(b)
        case .merged(let from, let into):
            signed(from.rawValue)
            signed(into.rawValue)
        case .refused(let a, let b, let refusal):
            identity(a)
            identity(b)
            self.refusal(refusal)
        case .flagged(let a, let namespace, let count):
            identity(a)
            string(namespace)
            signed(Int64(count))
        case .evicted(let a, let from):
            identity(a)
            signed(from.rawValue)
        case .removed(let a, let from, let into):
            identity(a)
            signed(from.rawValue)
            signed(into.rawValue)
        case .split(let from, let into, let identities):
            signed(from.rawValue)
            signed(into.rawValue)
            unsigned(UInt64(identities.count))
            for member in identities { identity(member) }
        }
    }

    mutating func refusal(_ refusal: Refusal) {
        switch refusal {
        case .uniqueConflict(let namespace):
            byte(0)
            string(namespace)
        case .sharedIdentity(let shared):
            byte(1)
            identity(shared)
        case .removedFromProfile(let profile):
            byte(2)
            signed(profile.rawValue)
        }
    }
}

/// Reads an entry's binary form on the shared `BinaryReader`, which checks every length against
/// the bytes there are; its errors become `IdentityDecodingError`s.
private struct EntryReader {
    var reader: BinaryReader

    init(_ bytes: [UInt8]) {
        reader = BinaryReader(bytes)
    }

    mutating func entry() throws(IdentityDecodingError) -> LogEntry {
        guard try byte() == LogEntry.binaryFormat else { throw IdentityDecodingError("unknown binary entry format") }
        let kind = try byte()
        let sequence = try signed()
        let observation = try signed()
        let provenance = try self.provenance()
        let change = try self.change(kind: kind)
        guard reader.isAtEnd else { throw IdentityDecodingError("bytes after the end of an entry") }
        return LogEntry(sequence: sequence, observation: observation, change: change, provenance: provenance)
    }

    mutating func byte() throws(IdentityDecodingError) -> UInt8 {
        do { return try reader.byte() } catch { throw Self.malformed }
    }

    mutating func signed() throws(IdentityDecodingError) -> Int64 {
        do { return try reader.signed() } catch { throw Self.malformed }
    }

    mutating func count() throws(IdentityDecodingError) -> Int {
        do { return try reader.count() } catch { throw Self.malformed }
    }

    mutating func string() throws(IdentityDecodingError) -> String {
        do { return try reader.string() } catch { throw Self.malformed }
    }

    static let malformed = IdentityDecodingError("a binary entry is truncated or holds an overlong number")

    mutating func identity() throws(IdentityDecodingError) -> Identity {
        let namespace = try string()
        let value = try string()
        guard !namespace.isEmpty, !value.isEmpty else {
            throw IdentityDecodingError("expected an identity with a namespace and a value")
        }
        return Identity(namespace: namespace, value: value)
    }

    mutating func profile() throws(IdentityDecodingError) -> ProfileID {
        let number = try signed()
        guard number > 0 else { throw IdentityDecodingError("expected a profile id") }
        return ProfileID(rawValue: number)
    }

    mutating func provenance() throws(IdentityDecodingError) -> Provenance {
        let presence = try byte()
        guard presence < 4 else { throw IdentityDecodingError("unknown provenance flags") }
        let record = try presence & 1 == 0 ? nil : signed()
        let source = try presence & 2 == 0 ? nil : signed()
        let rule = try string()
        let time = try signed()
        return Provenance(record: record, source: source, rule: rule, time: Timestamp(milliseconds: time))
    }

    mutating func change(kind: UInt8) throws(IdentityDecodingError) -> LogEntry.Change {
        switch kind {
        case 0: return .touched(try identity())
        case 1: return .created(try profile(), try identity())
        case 2: return .linked(try identity(), try identity())
        case 3: return .merged(try profile(), into: try profile())
        case 4: return .refused(try identity(), try identity(), try refusal())
        case 5: return .cooccurred(try identity(), with: try identity())
        case 6:
            let identity = try identity()
            let namespace = try string()
            let count = try signed()
            guard count >= 0 && count <= Int64(Int32.max) else { throw IdentityDecodingError("bad distinctValues") }
            return .flagged(identity, namespace: namespace, distinctValues: Int(count))
        case 7: return .evicted(try identity(), from: try profile())
        case 8: return .unlinked(try identity(), try identity())
        case 9: return .removed(try identity(), from: try profile(), into: try profile())
        case 10:
            let from = try profile()
            let into = try profile()
            let count = try count()
            var identities: [Identity] = []
            identities.reserveCapacity(count)
            for _ in 0..<count { identities.append(try identity()) }
            return .split(from: from, into: into, identities: identities)
        default:
            throw IdentityDecodingError("unknown entry kind")
        }
    }

    mutating func refusal() throws(IdentityDecodingError) -> Refusal {
        switch try byte() {
        case 0: return .uniqueConflict(namespace: try string())
        case 1: return .sharedIdentity(try identity())
        case 2: return .removedFromProfile(try profile())
        default: throw IdentityDecodingError("unknown refusal reason")
        }
    }
}
