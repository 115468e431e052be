import Foundation

/// A structured logger that writes one JSON object per line to standard error.
///
/// Shaped like swift-log: levels, a constant message and metadata with dotted keys. Messages and
/// metadata must never carry payloads, trait values, identifiers or secrets; log counts, sizes,
/// durations, route names and hashed ids instead.
public struct Logger: Sendable {
    public enum Level: Int, Sendable, Comparable, CaseIterable {
        case trace, debug, info, notice, warning, error, critical

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }

        public var name: String { String(describing: self) }

        /// Parses a level name (`info`, `debug`, …), as given in `TESSERA_LOG_LEVEL`.
        public init?(name: String) {
            guard let level = Level.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
            self = level
        }
    }

    public typealias Metadata = [String: String]

    /// Where log lines go; tests swap in a capturing sink.
    public protocol Sink: Sendable {
        func write(line: [UInt8])
    }

    /// Writes lines to standard error with one `write(2)` each, so lines never interleave.
    public struct StandardError: Sink {
        public init() {}

        public func write(line: [UInt8]) {
            line.withUnsafeBytes { buffer in _ = Foundation.write(2, buffer.baseAddress, buffer.count) }
        }
    }

    public let label: String
    public var level: Level
    public var metadata: Metadata
    private let sink: any Sink

    public init(label: String, level: Level = .info, metadata: Metadata = [:], sink: any Sink = StandardError()) {
        self.label = label
        self.level = level
        self.metadata = metadata
        self.sink = sink
    }

    /// A logger for the same sink and level under another label.
    public func child(label: String) -> Logger {
        Logger(label: label, level: level, metadata: metadata, sink: sink)
    }

    public func trace(_ message: @autoclosure () -> String, metadata: Metadata = [:]) {
        log(.trace, message(), metadata)
    }

    public func debug(_ message: @autoclosure () -> String, metadata: Metadata = [:]) {
        log(.debug, message(), metadata)
    }

    public func info(_ message: @autoclosure () -> String, metadata: Metadata = [:]) {
        log(.info, message(), metadata)
    }

    public func notice(_ message: @autoclosure () -> String, metadata: Metadata = [:]) {
        log(.notice, message(), metadata)
    }

    public func warning(_ message: @autoclosure () -> String, metadata: Metadata = [:]) {
        log(.warning, message(), metadata)
    }

    public func error(_ message: @autoclosure () -> String, metadata: Metadata = [:]) {
        log(.error, message(), metadata)
    }

    public func critical(_ message: @autoclosure () -> String, metadata: Metadata = [:]) {
        log(.critical, message(), metadata)
    }

    private func log(_ level: Level, _ message: @autoclosure () -> String, _ extra: Metadata) {
        guard level >= self.level else { return }
        var fields: [String: JSONValue] = [
            "time": .string(Timestamp.now().iso8601),
            "level": .string(level.name),
            "logger": .string(label),
            "message": .string(message()),
        ]
        for (key, value) in metadata.merging(extra, uniquingKeysWith: { _, new in new }) {
            fields[key] = .string(value)
        }
        var writer = JSONWriter()
        writer.write(.object(fields))
        writer.writeRaw([UInt8(ascii: "\n")])
        sink.write(line: writer.bytes)
    }
}
