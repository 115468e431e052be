import Activation
import Dispatch
import Foundation
import Synchronization
import TesseraCore

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Outbound HTTP for webhooks, three ways, against the same local receiver in the same run: the
/// built-in blocking client (`HTTPClientTransport`), libcurl (`CurlTransport`) and URLSession.
///
/// For each: the throughput of `requests` POSTs of a one-delivery webhook body with 16 in flight,
/// and the latency of each request when sent at a steady 1,000 per second (the trigger goal's rate).
enum TransportBenchmark {
    static func run(receiver: BenchReceiver, requests: Int) async -> [String: JSONValue] {
        let url = WebhookURL(host: "127.0.0.1", port: receiver.port, target: "/ceiling")
        let body = Array(String(repeating: "x", count: 420).utf8)
        let request = WebhookRequest(
            url: url, headers: [("Content-Type", "application/json"), ("Idempotency-Key", "d1-0123456789abcdef")],
            body: body, timeoutMilliseconds: 5_000)
        var results: [String: JSONValue] = [:]
        let transports: [(String, any DeliveryTransport)] = [
            ("builtin", HTTPClientTransport(threads: 16)), ("curl", CurlTransport(threads: 16)),
            ("urlsession", URLSessionTransport()),
        ]
        for (name, transport) in transports {
            _ = await throughput(transport, request, requests: 500)  // warm-up: connections open
            let burst = await throughput(transport, request, requests: requests)
            let paced = await paced(transport, request, perSecond: 1_000, seconds: 3)
            transport.shutdown()
            results[name] = .object(burst.merging(paced) { $1 })
        }
        return results
    }

    /// Requests per second with 16 in flight, and how many failed.
    private static func throughput(_ transport: any DeliveryTransport, _ request: WebhookRequest, requests: Int)
        async -> [String: JSONValue]
    {
        let started = DispatchTime.now().uptimeNanoseconds
        let failures = await withTaskGroup(of: Int.self) { group in
            for lane in 0..<16 {
                group.addTask {
                    var failed = 0
                    for _ in stride(from: lane, to: requests, by: 16) {
                        if await transport.send(request).verdict != .success { failed += 1 }
                    }
                    return failed
                }
            }
            return await group.reduce(0, +)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return ["requests_per_s": .double(Double(requests) / seconds), "failures": .int(Int64(failures))]
    }

    /// Latency of each request when one starts every 1/`perSecond` seconds, whatever the others do.
    private static func paced(
        _ transport: any DeliveryTransport, _ request: WebhookRequest, perSecond: Int, seconds: Int
    ) async -> [String: JSONValue] {
        let count = perSecond * seconds
        let interval = UInt64(1_000_000_000 / perSecond)
        let start = DispatchTime.now().uptimeNanoseconds
        let latencies = await withTaskGroup(of: UInt64.self) { group in
            for index in 0..<count {
                let due = start + UInt64(index) * interval
                let now = DispatchTime.now().uptimeNanoseconds
                if due > now { try? await Task.sleep(for: .nanoseconds(Int(due - now))) }
                group.addTask {
                    let sent = DispatchTime.now().uptimeNanoseconds
                    _ = await transport.send(request)
                    return DispatchTime.now().uptimeNanoseconds - sent
                }
            }
            return await group.reduce(into: [UInt64]()) { $0.append($1) }
        }
        return [
            "paced_per_s": .int(Int64(perSecond)), "paced_p50_ms": .double(percentile(latencies, 0.50)),
            "paced_p99_ms": .double(percentile(latencies, 0.99)),
        ]
    }

    /// The `q` quantile of nanosecond samples, in milliseconds.
    static func percentile(_ samples: [UInt64], _ q: Double) -> Double {
        guard !samples.isEmpty else { return 0 }
        let sorted = samples.sorted()
        return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]) / 1e6
    }
}

/// Webhooks through Foundation's URLSession, measured beside the other transports only.
final class URLSessionTransport: DeliveryTransport {
    private let session: URLSession

    init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 16
        session = URLSession(configuration: configuration)
    }

    func send(_ request: WebhookRequest) async -> DeliveryOutcome {
        let url = request.url
        var urlRequest = URLRequest(url: URL(string: "http://\(url.host):\(url.port)\(url.target)")!)
        urlRequest.httpMethod = "POST"
        urlRequest.httpBody = Data(request.body)
        urlRequest.timeoutInterval = Double(request.timeoutMilliseconds) / 1000
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        return await withCheckedContinuation { continuation in
            session.dataTask(with: urlRequest) { data, response, error in
                guard error == nil, let response = response as? HTTPURLResponse else {
                    return continuation.resume(returning: .connectionFailed(reason: "urlsession_error"))
                }
                continuation.resume(returning: .response(status: response.statusCode, body: Array(data ?? Data())))
            }.resume()
        }
    }

    func shutdown() {
        session.invalidateAndCancel()
    }
}
