import Dispatch
import Foundation
import HTTPServer
import JSONParsing
import Synchronization
import TesseraCore

/// `tessera-bench activation PORT ADMIN-TOKEN WRITE-KEY [RATE] [SECONDS] [PEOPLE]`: real-time
/// triggers through a running server to a local webhook receiver, all on loopback.
///
/// 1. Loads PEOPLE travellers (one `identify` each) into the `Travellers` audience.
/// 2. Trigger latency: the airport trigger (`Location Updated` in the duty-free zone for a member of
///    `Travellers`), fired by single `/v1/track` requests at RATE per second for SECONDS, each for a
///    different traveller. The latency of one trigger runs from the moment its request was
///    acknowledged (the client read the 200) to the moment its webhook request reached the receiver;
///    both clocks are this process's. The first second is left out as warm-up.
/// 3. The receiver's own ceiling: requests per second it takes straight from 16 client connections.
/// 4. Delivery throughput: the whole audience activated to a second webhook destination (a full
///    sync), from the activation's answer to the last delivery's arrival.
/// 5. The three outbound HTTP transports against the same receiver (``TransportBenchmark``).
enum ActivationBenchmark {
    static func run(arguments: [String]) async throws -> [String: JSONValue] {
        guard arguments.count >= 3, let port = Int(arguments[0]) else {
            throw ServerMessage("usage: tessera-bench activation PORT ADMIN-TOKEN WRITE-KEY [RATE] [SECONDS] [PEOPLE]")
        }
        let rate = arguments.count > 3 ? Int(arguments[3]) ?? 1_000 : 1_000
        let seconds = arguments.count > 4 ? Int(arguments[4]) ?? 10 : 10
        let people = max(rate * seconds, arguments.count > 5 ? Int(arguments[5]) ?? 20_000 : 20_000)
        let api = AdminAPI(port: port, token: arguments[1], writeKey: arguments[2])
        let receiver = try BenchReceiver(threads: 2)
        defer { receiver.stop() }

        let audience = try api.post("/v1/audiences", ["name": "Travellers", "rule": "attribute traveller = true"])
        try loadTravellers(api, count: people)
        let triggerHook = try api.post("/v1/destinations", destination("trigger-hook", receiver, "/trigger"))
        _ = try api.post(
            "/v1/triggers",
            [
                "name": "duty-free-voucher", "destinationId": triggerHook["id"] ?? .null,
                "event": #"did "Location Updated" where properties.zone = "duty-free""#,
                "condition": #"in audience "Travellers""#,
            ])

        var results: [String: JSONValue] = ["people": .int(Int64(people))]
        results["trigger"] = .object(try triggerLatency(api, receiver, rate: rate, seconds: seconds))
        results["receiver_ceiling_requests_per_s"] = .double(ceiling(receiver, seconds: 3))
        let bulk = try api.post("/v1/destinations", destination("bulk-hook", receiver, "/bulk"))
        results["full_sync"] = .object(
            try fullSync(api, receiver, audience: audience["id"]?.intValue ?? 0, destination: bulk))
        results["transports"] = .object(await TransportBenchmark.run(receiver: receiver, requests: 20_000))
        return results
    }

    /// A webhook destination that sends due deliveries at once (no linger), 100 to a request.
    private static func destination(_ name: String, _ receiver: BenchReceiver, _ path: String) -> JSONValue {
        [
            "name": .string(name), "kind": "webhook", "url": .string("http://127.0.0.1:\(receiver.port)\(path)"),
            "marketingActions": ["push-offers"], "batchSize": 100, "lingerMs": 0, "concurrency": 4,
            "mapping": [
                ["field": "user", "path": "identities.userId"], ["field": "email", "path": "identities.email"],
            ],
        ]
    }

    private static func loadTravellers(_ api: AdminAPI, count: Int) throws {
        let client = HTTPClient(host: "127.0.0.1", port: api.port)
        for first in stride(from: 0, to: count, by: 500) {
            var text = #"{"batch":["#
            for person in first..<min(first + 500, count) {
                if person > first { text += "," }
                text +=
                    #"{"type":"identify","userId":"t-\#(person)","messageId":"traveller-\#(person)","#
                    + #""traits":{"traveller":true,"email":"t\#(person)@example.com"}}"#
            }
            let response = try client.send(
                method: "POST", path: "/v1/batch", headers: api.writeHeaders, body: Array((text + "]}").utf8))
            guard response.status == 200 else { throw ServerMessage("loading travellers: HTTP \(response.status)") }
        }
    }

    /// Fires one trigger per traveller at `rate` per second over 8 connections, then matches each
    /// acknowledgement with the arrival of its delivery.
    private static func triggerLatency(_ api: AdminAPI, _ receiver: BenchReceiver, rate: Int, seconds: Int) throws
        -> [String: JSONValue]
    {
        let count = rate * seconds
        let connections = 8
        let acks = Mutex<[String: UInt64]>([:])
        let ackLatencies = Mutex<[UInt64]>([])
        let failures = Atomic<Int>(0)
        let interval = 1_000_000_000 / UInt64(rate)
        let start = DispatchTime.now().uptimeNanoseconds + 50_000_000
        let group = DispatchGroup()
        for lane in 0..<connections {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                let client = HTTPClient(host: "127.0.0.1", port: api.port)
                for index in stride(from: lane, to: count, by: connections) {
                    let due = start + UInt64(index) * interval
                    let now = DispatchTime.now().uptimeNanoseconds
                    if due > now { usleep(UInt32((due - now) / 1_000)) }
                    let user = "t-\(index)"
                    let body =
                        #"{"userId":"\#(user)","event":"Location Updated","messageId":"bench-\#(index)","#
                        + #""properties":{"zone":"duty-free"}}"#
                    let sent = DispatchTime.now().uptimeNanoseconds
                    let response = try? client.send(
                        method: "POST", path: "/v1/track", headers: api.writeHeaders, body: Array(body.utf8))
                    let acknowledged = DispatchTime.now().uptimeNanoseconds
                    guard response?.status == 200 else {
                        failures.add(1, ordering: .relaxed)
                        continue
                    }
                    acks.withLock { $0[user] = acknowledged }
                    if index >= rate { ackLatencies.withLock { $0.append(acknowledged - sent) } }
                }
            }
        }
        group.wait()
        let sendSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let acknowledged = acks.withLock { $0 }
        for _ in 0..<300 where receiver.arrivals("/trigger").count < acknowledged.count {
            Thread.sleep(forTimeInterval: 0.1)
        }
        var latencies: [UInt64] = []
        var early = 0
        var seen: Set<String> = []
        for arrival in receiver.arrivals("/trigger") where seen.insert(arrival.user).inserted {
            guard let index = Int(arrival.user.dropFirst(2)), index >= rate, let ack = acknowledged[arrival.user]
            else { continue }
            if arrival.nanoseconds < ack { early += 1 }
            latencies.append(arrival.nanoseconds > ack ? arrival.nanoseconds - ack : 0)
        }
        let ackSamples = ackLatencies.withLock { $0 }
        return [
            "rate_per_s": .int(Int64(rate)), "sent": .int(Int64(count)),
            "achieved_per_s": .double(Double(count) / sendSeconds),
            "acknowledged": .int(Int64(acknowledged.count)),
            "failed_requests": .int(Int64(failures.load(ordering: .relaxed))),
            "delivered": .int(Int64(seen.count)), "measured": .int(Int64(latencies.count)),
            "arrived_before_ack": .int(Int64(early)),
            "p50_ms": .double(TransportBenchmark.percentile(latencies, 0.50)),
            "p90_ms": .double(TransportBenchmark.percentile(latencies, 0.90)),
            "p99_ms": .double(TransportBenchmark.percentile(latencies, 0.99)),
            "max_ms": .double(TransportBenchmark.percentile(latencies, 1.0)),
            "ack_p50_ms": .double(TransportBenchmark.percentile(ackSamples, 0.50)),
            "ack_p99_ms": .double(TransportBenchmark.percentile(ackSamples, 0.99)),
            "webhook_requests": .int(Int64(receiver.requestCount("/trigger"))),
        ]
    }

    /// Requests per second the receiver answers from 16 keep-alive connections sending a
    /// one-delivery body.
    private static func ceiling(_ receiver: BenchReceiver, seconds: Double) -> Double {
        let body =
            Array(
                #"[{"idempotencyKey":"d1-0123456789abcdef0123456789abcdef","reason":"trigger: duty-free-voucher","#
                    .utf8)
            + Array(
                #""profileId":1,"createdAt":"2026-12-04T10:00:00.000Z","data":{"user":"t-1","email":"t1@x.io"}}]"#.utf8)
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        let total = Atomic<Int>(0)
        let group = DispatchGroup()
        for _ in 0..<16 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                let client = HTTPClient(host: "127.0.0.1", port: receiver.port)
                while DispatchTime.now().uptimeNanoseconds < deadline {
                    if (try? client.send(method: "POST", path: "/ceiling", headers: [], body: body))?.status == 200 {
                        total.add(1, ordering: .relaxed)
                    }
                }
            }
        }
        group.wait()
        return Double(total.load(ordering: .relaxed)) / seconds
    }

    /// Activates the audience to `destination` and times the full sync until the last delivery arrives.
    private static func fullSync(
        _ api: AdminAPI, _ receiver: BenchReceiver, audience: Int64, destination: JSONValue
    ) throws -> [String: JSONValue] {
        let started = DispatchTime.now().uptimeNanoseconds
        let activation = try api.post(
            "/v1/audiences/\(audience)/activations",
            ["destinationId": destination["id"] ?? .null, "onEnter": false, "onExit": false])
        let queued = Int(activation["queued"]?.intValue ?? 0)
        let queuedAfter = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        for _ in 0..<1_200 where receiver.arrivals("/bulk").count < queued { Thread.sleep(forTimeInterval: 0.05) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let delivered = receiver.arrivals("/bulk").count
        return [
            "queued": .int(Int64(queued)), "queue_seconds": .double(queuedAfter), "delivered": .int(Int64(delivered)),
            "seconds": .double(seconds), "deliveries_per_s": .double(Double(delivered) / seconds),
            "requests": .int(Int64(receiver.requestCount("/bulk"))),
        ]
    }
}

/// The admin API of the server under test.
struct AdminAPI: Sendable {
    let port: Int
    let token: String
    let writeKey: String

    var writeHeaders: [(String, String)] {
        [
            ("Authorization", "Basic " + Data((writeKey + ":").utf8).base64EncodedString()),
            ("Content-Type", "application/json"),
        ]
    }

    /// POSTs `body` with the admin token; throws unless the answer is 2xx.
    func post(_ path: String, _ body: JSONValue) throws -> JSONValue {
        let client = HTTPClient(host: "127.0.0.1", port: port)
        defer { client.close() }
        let response = try client.send(
            method: "POST", path: path,
            headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")],
            body: body.serializedBytes)
        guard response.status < 300 else {
            throw ServerMessage(
                "POST \(path): HTTP \(response.status) \(String(decoding: response.body, as: UTF8.self))")
        }
        return (try? JSONValue(parsing: response.body)) ?? .null
    }
}
