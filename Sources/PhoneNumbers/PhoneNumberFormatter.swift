internal import CPhoneNumber
import Synchronization

/// Writes phone numbers in E.164 (`+14155550100`) with Google's libphonenumber, remembering recent answers.
///
/// A number is parsed as dialled from a default region (so `(415) 555-0100` needs `US`, while
/// `+44 20 7946 0958` needs none), checked with libphonenumber's validity rules and formatted. Each
/// library call costs 22–29 µs on this machine and the first one 7–18 ms while the metadata loads
/// (`prepare()` moves that cost to start-up), so answers, failures included, are kept in a bounded cache.
///
/// Thread safety: libphonenumber's `PhoneNumberUtil` is a process-wide singleton created once under
/// `pthread_once`; `Parse`, `IsValidNumber` and `Format` are `const` and only read its metadata, and its
/// regular-expression cache takes a mutex (on Linux the library is built with its POSIX lock). The
/// maintainers state that every method except `findNumbers` is thread-safe (google/libphonenumber
/// issue #1835). Calls into the library therefore run without a lock; the `Mutex` here guards only
/// the cache, and is never held across a library call.
public final class PhoneNumberFormatter: Sendable {
    /// The most answers kept; older ones are dropped a generation at a time.
    public let cacheCapacity: Int

    private let cache: Mutex<AnswerCache>

    /// Creates a formatter.
    ///
    /// - Parameter cacheCapacity: the most distinct (number, region) answers to remember; 0 turns the
    ///   cache off.
    public init(cacheCapacity: Int = 10_000) {
        precondition(cacheCapacity >= 0, "cacheCapacity must not be negative")
        self.cacheCapacity = cacheCapacity
        cache = Mutex(AnswerCache(capacity: cacheCapacity))
    }

    /// The number of answers the cache holds now.
    public var cachedAnswers: Int {
        cache.withLock { $0.count }
    }

    /// Loads libphonenumber's metadata now rather than on the first number, and silences its logger.
    public static func prepare() {
        tessera_phone_prepare()
    }

    /// The number in E.164, or nil when it is not a valid phone number.
    ///
    /// - Parameters:
    ///   - raw: the number as typed: `+1 (415) 555-0100`, `0044 20 7946 0958`, `030 123456`.
    ///   - defaultRegion: the ISO 3166 alpha-2 region numbers without country code are dialled from.
    /// - Complexity: a hash lookup when the answer is cached; otherwise one library call (~25 µs).
    public func e164(_ raw: String, defaultRegion: String) -> String? {
        try? format(raw, defaultRegion: defaultRegion)
    }

    /// The number in E.164.
    ///
    /// - Parameters:
    ///   - raw: the number as typed.
    ///   - defaultRegion: the ISO 3166 alpha-2 region (any case) numbers without country code are
    ///     dialled from; empty or `ZZ` for none, so that only numbers with a `+` or an international
    ///     prefix are read.
    /// - Returns: `+` and up to 15 digits.
    /// - Throws: `PhoneNumberError` when the text is not a valid number or the region is unknown.
    public func format(_ raw: String, defaultRegion: String) throws(PhoneNumberError) -> String {
        guard let region = Self.regionCode(defaultRegion) else { throw PhoneNumberError(.invalidRegion) }
        let key = AnswerCache.Key(raw: raw, region: region)
        if let known = cache.withLock({ $0.answer(for: key) }) { return try known.get() }

        let answer = Self.callLibrary(raw: raw, region: region)
        cache.withLock { $0.remember(answer, for: key) }
        return try answer.get()
    }

    /// The upper-cased region code, or nil when it is not two ASCII letters; empty means `ZZ`.
    static func regionCode(_ region: String) -> String? {
        if region.isEmpty { return "ZZ" }
        let letters = Array(region.utf8)
        guard letters.count == 2, letters.allSatisfy({ (0x41...0x5A).contains($0 & 0xDF) }) else { return nil }
        return String(decoding: letters.map { $0 & 0xDF }, as: UTF8.self)
    }

    /// One call through the C shim; text holding a NUL byte is not a number.
    private static func callLibrary(raw: String, region: String) -> Result<String, PhoneNumberError> {
        guard !raw.utf8.contains(0) else { return .failure(PhoneNumberError(.notANumber)) }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { buffer in
            let status = tessera_phone_e164(raw, region, buffer.baseAddress!, buffer.count)
            switch status {
            case .TESSERA_PHONE_OK:
                return .success(String(cString: buffer.baseAddress!))
            case .TESSERA_PHONE_NOT_A_NUMBER: return .failure(PhoneNumberError(.notANumber))
            case .TESSERA_PHONE_INVALID: return .failure(PhoneNumberError(.invalidNumber))
            case .TESSERA_PHONE_INVALID_REGION: return .failure(PhoneNumberError(.invalidRegion))
            case .TESSERA_PHONE_BUFFER_TOO_SMALL, .TESSERA_PHONE_INTERNAL_ERROR:
                return .failure(PhoneNumberError(.internalFailure))
            }
        }
    }
}

/// Recent answers in two generations: lookups read both, inserts go to the current one, and when it
/// is full the previous generation is dropped and the current one takes its place.
///
/// This keeps the cache within its capacity with O(1) work per call and no recency list, at the price
/// of forgetting up to half the entries at once, which only costs their recomputation.
struct AnswerCache {
    struct Key: Hashable {
        var raw: String
        var region: String
    }

    let generationCapacity: Int
    var current: [Key: Result<String, PhoneNumberError>] = [:]
    var previous: [Key: Result<String, PhoneNumberError>] = [:]

    init(capacity: Int) {
        generationCapacity = capacity / 2
    }

    mutating func answer(for key: Key) -> Result<String, PhoneNumberError>? {
        if let answer = current[key] { return answer }
        guard let answer = previous[key] else { return nil }
        remember(answer, for: key)
        return answer
    }

    mutating func remember(_ answer: Result<String, PhoneNumberError>, for key: Key) {
        guard generationCapacity > 0 else { return }
        if current.count >= generationCapacity {
            previous = current
            current = [:]
        }
        current[key] = answer
    }

    /// The number of answers held.
    var count: Int { current.count + previous.count }
}
