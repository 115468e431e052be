import Foundation
import Synchronization
import HTTPServer
import TesseraCore

/// Loads `count` profiles into a running server for the lookup benchmark: one `identify` per person
/// (a `userId`, an `anonymousId`, an email and a few traits), sent as `/v1/batch` bodies of 500 over
/// four connections, so that loading a million people takes minutes, not the hours a full demo
/// history would.
enum ProfileLoader {
    static func run(arguments: [String]) throws -> [String: JSONValue] {
        guard arguments.count >= 3, let port = Int(arguments[0]), let count = Int(arguments[2]) else {
            throw ServerMessage("usage: tessera-bench load-profiles PORT WRITE-KEY COUNT")
        }
        let authorization = "Basic " + Data((arguments[1] + ":").utf8).base64EncodedString()
        let started = DispatchTime.now().uptimeNanoseconds
        let connections = 4
        let group = DispatchGroup()
        let failures = Failures()
        for connection in 0..<connections {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                let client = HTTPClient(host: "127.0.0.1", port: port)
                var first = connection * 500
                while first < count {
                    let body = batch(from: first, to: min(first + 500, count))
                    do {
                        let response = try client.send(
                            method: "POST", path: "/v1/batch",
                            headers: [("Authorization", authorization), ("Content-Type", "application/json")],
                            body: body)
                        if response.status != 200 { failures.add() }
                    } catch {
                        failures.add()
                    }
                    first += connections * 500
                }
            }
        }
        group.wait()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return [
            "profiles": .int(Int64(count)), "seconds": .double(seconds),
            "records_per_s": .double(Double(count) / seconds), "failed_requests": .int(Int64(failures.count)),
        ]
    }

    static func batch(from first: Int, to end: Int) -> [UInt8] {
        var text = #"{"batch":["#
        for person in first..<end {
            if person > first { text += "," }
            text +=
                #"{"type":"identify","userId":"user-\#(person)","anonymousId":"anon-\#(person)","#
                + #""messageId":"load-\#(person)","traits":{"email":"person\#(person)@example.com","#
                + #""firstName":"Person","lastName":"Number \#(person)","plan":"\#(person % 3 == 0 ? "pro" : "free")","#
                + #""address":{"city":"Leeds","country":"GB"}}}"#
        }
        return Array((text + "]}").utf8)
    }

    /// Counts failed requests across the loader's threads.
    final class Failures: Sendable {
        private let value = Mutex(0)

        func add() { value.withLock { $0 += 1 } }
        var count: Int { value.withLock { $0 } }
    }
}

/// A usage or set-up problem, printed as is.
struct ServerMessage: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
