import Foundation
import JSONParsing
import TesseraCore

/// Appends batches of deliveries to export files and syncs them, on a thread of its own.
///
/// A destination's deliveries of one UTC day go to `<directory>/<name>-<yyyy-mm-dd>.jsonl` (or
/// `.csv`). CSV files start with a header: `idempotency_key,reason,profile_id,created_at` and then
/// the mapping's fields in order. When the mapping changed during the day and the header of the
/// day's file no longer matches, lines go to `<name>-<date>.2.csv` (then `.3`, …) instead, so a file
/// never mixes columns. Restarts may append a batch once more; readers dedupe by idempotency key.
public final class FileExporter: Sendable {
    private let workers: BlockingWorkers

    /// Starts the exporter's thread.
    public init() {
        workers = BlockingWorkers(threads: 1, name: "tessera-export")
    }

    /// Appends `batch` to the destination's file for the day of `now` and syncs it.
    ///
    /// - Returns: A `200` response outcome when the lines are on disk, or `connectionFailed` with
    ///   `file_<call>_errno_<n>` when the directory or file cannot be written (retried like a network
    ///   failure).
    func export(_ batch: [Delivery], to destination: Destination, at now: Timestamp) async -> DeliveryOutcome {
        guard case .file(let directory, let format) = destination.settings.target else {
            return .connectionFailed(reason: "not_a_file_destination")
        }
        let day = String(now.iso8601.prefix(10))
        return await workers.perform { _ in
            Self.write(batch, destination: destination, directory: directory, format: format, day: day)
        }
    }

    /// Stops the exporter's thread once queued appends are done.
    public func shutdown() {
        workers.shutdown()
    }

    private static func write(
        _ batch: [Delivery], destination: Destination, directory: String, format: DestinationSettings.FileFormat,
        day: String
    ) -> DeliveryOutcome {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            return .connectionFailed(reason: "file_mkdir_failed")
        }
        let fields = destination.settings.mapping.fields.map(\.name)
        let header = CSV.line(["idempotency_key", "reason", "profile_id", "created_at"] + fields)
        var suffix = 1
        var path: String
        repeat {
            let part = suffix == 1 ? "" : ".\(suffix)"
            path = "\(directory)/\(destination.name)-\(day)\(part).\(format.rawValue)"
            suffix += 1
        } while format == .csv && !headerMatches(path, header)
        do {
            let file = try ExportFile(path: path, directory: directory)
            var bytes: [UInt8] = []
            if format == .csv && file.initialSize == 0 { bytes += header }
            for delivery in batch {
                bytes += format == .csv ? csvLine(delivery, fields) : jsonLine(delivery)
            }
            try file.append(bytes)
            try file.sync()
            return .response(status: 200, body: [])
        } catch {
            return .connectionFailed(reason: "file_\(error.operation)_errno_\(error.errorNumber)")
        }
    }

    /// Whether the file at `path` is missing, empty, or starts with `header`.
    private static func headerMatches(_ path: String, _ header: [UInt8]) -> Bool {
        guard let first = ExportFile.firstLine(of: path), !first.isEmpty else { return true }
        return first + [UInt8(ascii: "\n")] == header
    }

    private static func jsonLine(_ delivery: Delivery) -> [UInt8] {
        var writer = JSONWriter(capacity: delivery.payload.count + 160)
        DeliveryEnvelope.write(delivery, into: &writer)
        writer.writeByte(UInt8(ascii: "\n"))
        return writer.bytes
    }

    private static func csvLine(_ delivery: Delivery, _ fields: [String]) -> [UInt8] {
        let payload = (try? JSONValue(parsing: delivery.payload)) ?? .null
        let values = fields.map { CSV.text(of: payload[$0] ?? .null) }
        let profile = delivery.profileID.map(String.init) ?? ""
        return CSV.line([delivery.idempotencyKey, delivery.reason, profile, delivery.createdAt.iso8601] + values)
    }
}

/// Comma-separated values as RFC 4180 writes them.
enum CSV {
    /// One line: fields joined by commas, quoted when needed, ending in `\n`.
    static func line(_ fields: [String]) -> [UInt8] {
        var bytes: [UInt8] = []
        for (index, field) in fields.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes += escaped(field)
        }
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// A field quoted (with inner quotes doubled) when it holds a comma, quote, CR or LF.
    static func escaped(_ field: String) -> [UInt8] {
        let special: Set<UInt8> = [UInt8(ascii: ","), UInt8(ascii: "\""), UInt8(ascii: "\r"), UInt8(ascii: "\n")]
        guard field.utf8.contains(where: special.contains) else { return Array(field.utf8) }
        var bytes: [UInt8] = [UInt8(ascii: "\"")]
        for byte in field.utf8 {
            if byte == UInt8(ascii: "\"") { bytes.append(byte) }
            bytes.append(byte)
        }
        bytes.append(UInt8(ascii: "\""))
        return bytes
    }

    /// A JSON value as a CSV cell: strings as they are, `null` empty, anything else as compact JSON.
    static func text(of value: JSONValue) -> String {
        switch value {
        case .null: ""
        case .string(let text): text
        default: value.serialized
        }
    }
}
