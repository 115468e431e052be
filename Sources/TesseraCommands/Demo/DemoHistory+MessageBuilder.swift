import TesseraCore

extension DemoHistory {
    /// Writes messages as compact JSON through `JSONWriter`, placing the commas between members.
    ///
    /// One builder is reused for every message of a run: it keeps the calendar date of the last
    /// timestamp it wrote, so most timestamps cost a few digit writes instead of a date conversion.
    struct MessageBuilder {
        private var json = JSONWriter(capacity: 1024)
        private var needsComma = false
        private var cachedDay: Int64 = .min
        private var cachedDate: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

        /// Starts a message object.
        mutating func begin() {
            json.beginObject()
            needsComma = false
        }

        /// Ends the message and hands over its bytes, leaving the builder ready for the next one.
        mutating func finish() -> [UInt8] {
            json.endObject()
            let bytes = json.bytes
            json = JSONWriter(capacity: max(256, bytes.count + 128))
            needsComma = false
            return bytes
        }

        mutating func string(_ key: String, _ value: String) {
            self.key(key)
            json.writeString(value)
            needsComma = true
        }

        mutating func int(_ key: String, _ value: Int) {
            self.key(key)
            json.writeInt(Int64(value))
            needsComma = true
        }

        mutating func double(_ key: String, _ value: Double) {
            self.key(key)
            json.writeDouble(value)
            needsComma = true
        }

        /// An amount of money given in cents, written as a decimal number such as `19.99`.
        mutating func money(_ key: String, cents: Int) {
            double(key, Double(cents) / 100)
        }

        mutating func bool(_ key: String, _ value: Bool) {
            self.key(key)
            json.writeBool(value)
            needsComma = true
        }

        /// Appends members encoded earlier with `encodeMembers(_:)`, such as a browser's fixed context.
        ///
        /// Text that repeats in many messages is escaped once and then copied, which is most of what
        /// keeps generation fast.
        mutating func members(_ encoded: [UInt8]) {
            guard !encoded.isEmpty else { return }
            if needsComma { json.writeComma() }
            json.writeRaw(encoded)
            needsComma = true
        }

        /// An object under `key` whose members were encoded earlier with `encodeMembers(_:)`.
        mutating func object(_ key: String, members encoded: [UInt8]) {
            beginObject(key)
            members(encoded)
            endObject()
        }

        /// The members `write` produces, as bytes for `members(_:)` (without the enclosing braces).
        static func encodeMembers(_ write: (inout MessageBuilder) -> Void) -> [UInt8] {
            var builder = MessageBuilder()
            builder.begin()
            write(&builder)
            let bytes = builder.finish()
            return Array(bytes[1..<(bytes.count - 1)])
        }

        /// Opens a nested object under `key`; close it with `endObject()`.
        mutating func beginObject(_ key: String) {
            self.key(key)
            json.beginObject()
            needsComma = false
        }

        mutating func endObject() {
            json.endObject()
            needsComma = true
        }

        /// Opens an array under `key`; add objects with `beginElement()` and close with `endArray()`.
        mutating func beginArray(_ key: String) {
            self.key(key)
            json.beginArray()
            needsComma = false
        }

        /// Opens an object that is the next element of the current array.
        mutating func beginElement() {
            if needsComma { json.writeComma() }
            json.beginObject()
            needsComma = false
        }

        mutating func endArray() {
            json.endArray()
            needsComma = true
        }

        /// A UUID-shaped string built from two 64-bit words, without creating a `String`.
        mutating func uuid(_ key: String, _ unique: UInt64, _ extra: UInt64) {
            self.key(key)
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 36) { buffer in
                IdentifierText.writeUUID(unique, extra, into: buffer)
                json.writeString(utf8: UnsafeRawBufferPointer(buffer))
            }
            needsComma = true
        }

        /// A time as ISO-8601 with milliseconds, e.g. `2026-03-01T09:15:02.250Z`.
        ///
        /// Gives the same text as `Timestamp.iso8601` (the tests check it) without building strings.
        mutating func timestamp(_ key: String, milliseconds: Int64) {
            self.key(key)
            let day = milliseconds >= 0 ? milliseconds / 86_400_000 : (milliseconds + 1) / 86_400_000 - 1
            if day != cachedDay { cacheDate(day: day) }
            let msOfDay = Int(milliseconds - day * 86_400_000)
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buffer in
                withUnsafeBytes(of: cachedDate) { date in
                    for index in 0..<10 { buffer[index] = date[index] }
                }
                buffer[10] = UInt8(ascii: "T")
                IdentifierText.writeDigits(msOfDay / 3_600_000, count: 2, into: buffer, at: 11)
                buffer[13] = UInt8(ascii: ":")
                IdentifierText.writeDigits(msOfDay / 60_000 % 60, count: 2, into: buffer, at: 14)
                buffer[16] = UInt8(ascii: ":")
                IdentifierText.writeDigits(msOfDay / 1000 % 60, count: 2, into: buffer, at: 17)
                buffer[19] = UInt8(ascii: ".")
                IdentifierText.writeDigits(msOfDay % 1000, count: 3, into: buffer, at: 20)
                buffer[23] = UInt8(ascii: "Z")
                json.writeString(utf8: UnsafeRawBufferPointer(buffer))
            }
            needsComma = true
        }

        private mutating func key(_ key: String) {
            if needsComma { json.writeComma() }
            json.writeKey(key)
        }

        private mutating func cacheDate(day: Int64) {
            let date = Timestamp.civilDate(daysSinceEpoch: day)
            withUnsafeMutableBytes(of: &cachedDate) { raw in
                let buffer = raw.bindMemory(to: UInt8.self)
                IdentifierText.writeDigits(Int(date.year), count: 4, into: buffer, at: 0)
                buffer[4] = UInt8(ascii: "-")
                IdentifierText.writeDigits(Int(date.month), count: 2, into: buffer, at: 5)
                buffer[7] = UInt8(ascii: "-")
                IdentifierText.writeDigits(Int(date.day), count: 2, into: buffer, at: 8)
            }
            cachedDay = day
        }
    }

    /// Formats identifiers and fixed-width numbers as ASCII.
    enum IdentifierText {
        /// A version-4-shaped UUID (`xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`) built from two words.
        ///
        /// All 64 bits of `unique` are kept (the version and variant bits come out of `extra`), so
        /// distinct `unique` words always give distinct UUIDs.
        static func uuid(_ unique: UInt64, _ extra: UInt64) -> String {
            String(unsafeUninitializedCapacity: 36) { buffer in
                writeUUID(unique, extra, into: buffer)
                return 36
            }
        }

        /// Writes the 36 bytes of `uuid(_:_:)` into the first 36 bytes of `buffer`.
        static func writeUUID(_ unique: UInt64, _ extra: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>) {
            writeHex(unique >> 32, digits: 8, into: buffer, at: 0)
            buffer[8] = UInt8(ascii: "-")
            writeHex(unique >> 16 & 0xFFFF, digits: 4, into: buffer, at: 9)
            buffer[13] = UInt8(ascii: "-")
            writeHex(0x4000 | extra & 0x0FFF, digits: 4, into: buffer, at: 14)
            buffer[18] = UInt8(ascii: "-")
            writeHex(0x8000 | extra >> 12 & 0x3FFF, digits: 4, into: buffer, at: 19)
            buffer[23] = UInt8(ascii: "-")
            writeHex((unique & 0xFFFF) << 32 | extra >> 32, digits: 12, into: buffer, at: 24)
        }

        /// The low `digits` hex digits of `value`, zero-padded.
        static func hex(_ value: UInt64, digits: Int) -> String {
            String(unsafeUninitializedCapacity: digits) { buffer in
                writeHex(value, digits: digits, into: buffer, at: 0)
                return digits
            }
        }

        /// `value` in decimal, zero-padded to `digits` (the high digits are dropped if it is longer).
        static func decimal(_ value: UInt64, digits: Int) -> String {
            String(unsafeUninitializedCapacity: digits) { buffer in
                var rest = value
                for index in stride(from: digits - 1, through: 0, by: -1) {
                    buffer[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
                return digits
            }
        }

        static func writeDigits(_ value: Int, count: Int, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int)
        {
            var rest = value
            for index in stride(from: start + count - 1, through: start, by: -1) {
                buffer[index] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            }
        }

        private static func writeHex(
            _ value: UInt64, digits: Int, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int
        ) {
            var rest = value
            for index in stride(from: start + digits - 1, through: start, by: -1) {
                let digit = UInt8(truncatingIfNeeded: rest & 0xF)
                buffer[index] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") - 10 + digit
                rest >>= 4
            }
        }
    }
}
