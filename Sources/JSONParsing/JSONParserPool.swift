import Synchronization

/// A small pool of `JSONParser`s that any thread can borrow from.
///
/// Parsers keep simdjson's buffers between parses, so reusing them saves allocating those buffers for
/// every request. Idle parsers wait in a mutex-protected free list; a borrower that finds it empty
/// creates a new parser, and parsers returned to a full list are freed.
public final class JSONParserPool: Sendable {
    /// The nesting limit of the pool's parsers.
    public let maxDepth: Int

    /// The most idle parsers kept for reuse.
    public let maximumIdleParsers: Int

    private let idle: Mutex<[IdleParser]>

    /// Creates an empty pool.
    ///
    /// - Parameters:
    ///   - maxDepth: the nesting limit of the pool's parsers (see `JSONParser.init(maxDepth:)`).
    ///   - maximumIdleParsers: the most idle parsers kept; each holds buffers as large as the largest
    ///     document it parsed.
    public init(maxDepth: Int = 1024, maximumIdleParsers: Int = 16) {
        self.maxDepth = maxDepth
        self.maximumIdleParsers = maximumIdleParsers
        idle = Mutex([])
    }

    /// Runs `body` with a parser that no other thread uses until `body` returns.
    ///
    /// The parser must not escape `body`; documents it returns may.
    ///
    /// - Parameter body: the work to do with the parser.
    /// - Returns: what `body` returns.
    /// - Throws: what `body` throws.
    public func withParser<T>(_ body: (JSONParser) throws -> T) rethrows -> T {
        let parser = idle.withLock { $0.popLast() }?.parser ?? JSONParser(maxDepth: maxDepth)
        defer {
            let returned = IdleParser(parser: parser)
            idle.withLock { parsers in
                if parsers.count < maximumIdleParsers { parsers.append(returned) }
            }
        }
        return try body(parser)
    }
}

/// A parser waiting in a pool's free list.
///
/// `@unchecked Sendable` because `JSONParser` is not thread-safe: it is safe here because an idle
/// parser is reachable only through the pool's mutex, and `withParser` removes it from the list
/// before handing it to exactly one borrower and puts it back only after that borrower is done.
private struct IdleParser: @unchecked Sendable {
    let parser: JSONParser
}
