import Foundation
import Ingestion
import JSONParsing
import TesseraCore

/// Decode rates on the same `/v1/batch` bodies the HTTP benchmark sends: Foundation's
/// `JSONSerialization` (the reference), simdjson into the tape, and the full Segment decode
/// (validation, clock-skew correction, normalised output).
enum DecodeBenchmark {
    static func run(bodies count: Int) -> [String: JSONValue] {
        let bodies = (0..<count).map { batchBody(number: $0, size: 100) }
        let bytes = bodies.reduce(0) { $0 + $1.count }
        let foundation = measure(bytes: bytes) {
            for body in bodies { _ = try? JSONSerialization.jsonObject(with: Data(body)) }
        }
        let parser = JSONParser()
        let simdjson = measure(bytes: bytes) {
            for body in bodies { _ = try? parser.parse(body) }
        }
        let decoder = SegmentDecoder()
        let received = Timestamp.now()
        let segment = measure(bytes: bytes) {
            for body in bodies {
                guard let document = try? parser.parse(body) else { continue }
                _ = try? decoder.decode(document, endpoint: .batch, receivedAt: received)
            }
        }
        let events = Double(count * 100)
        return [
            "body_bytes": .int(Int64(bytes / count)),
            "foundation_mb_per_s": .double(foundation.megabytesPerSecond),
            "foundation_events_per_s": .double(events / foundation.seconds),
            "simdjson_tape_mb_per_s": .double(simdjson.megabytesPerSecond),
            "simdjson_tape_events_per_s": .double(events / simdjson.seconds),
            "segment_decode_mb_per_s": .double(segment.megabytesPerSecond),
            "segment_decode_events_per_s": .double(events / segment.seconds),
        ]
    }

    struct Rate {
        var seconds: Double
        var bytes: Int
        var megabytesPerSecond: Double { Double(bytes) / seconds / 1e6 }
    }

    /// The best of three runs of `work`, which processes `bytes` bytes.
    static func measure(bytes: Int, _ work: () -> Void) -> Rate {
        var best = Double.infinity
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            work()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return Rate(seconds: best, bytes: bytes)
    }

    /// A body shaped like the wrk script's: `size` analytics.js-style track messages.
    static func batchBody(number: Int, size: Int) -> [UInt8] {
        var text = #"{"batch":["#
        for index in 0..<size {
            if index > 0 { text += "," }
            let n = number * size + index
            text +=
                #"{"type":"track","userId":"user-\#(n % 100_000)","anonymousId":"anon-\#(n % 100_000)","#
                + #""event":"Product Viewed","messageId":"bench-\#(n)","timestamp":"2026-12-03T10:00:00.000Z","#
                + #""sentAt":"2026-12-03T10:00:01.000Z","properties":{"product_id":"sku-\#(n % 500)","#
                + #""name":"Monopoly: 3rd Edition","price":19.99,"currency":"EUR","category":"Games","#
                + #""url":"https://www.example.com/product/monopoly"},"context":{"ip":"203.0.113.7","#
                + #""library":{"name":"analytics.js","version":"2.11.1"},"page":{"path":"/product/monopoly","#
                + #""referrer":"https://www.example.org/","title":"Monopoly","#
                + #""url":"https://www.example.com/product/monopoly"},"locale":"en-GB","#
                + #""userAgent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "#
                + #"Chrome/120 Safari/537.36"}}"#
        }
        return Array((text + "]}").utf8)
    }
}
