import Foundation
import JSONParsing
import Server
import TesseraCore

/// `tessera privacy access NS:VALUE [--out FILE] | delete NS:VALUE [--regulation gdpr|ccpa] | job ID`.
///
/// Access and delete submit a job and wait for it (up to `--wait` seconds, default 120). An access
/// writes the document to `--out FILE` (readable by its owner only) or prints it; a delete prints the
/// receipt's counts and signature. `--json` prints the whole job instead.
enum PrivacyCommand {
    static func run(_ words: [String]) throws -> Int32 {
        let arguments = try Arguments(
            words, options: ServerConnection.options.union(["out", "regulation", "wait"]), flags: ["json"])
        let positionals = arguments.positionals
        let connection = try ServerConnection(arguments)
        let wait = try arguments.integer("wait", default: 120, in: 1...86_400)
        let job: JSONValue
        switch (positionals.first, positionals.count) {
        case ("access", 2), ("delete", 2):
            job = try submit(
                action: positionals[0], identity: positionals[1],
                regulation: arguments.options["regulation"] ?? "gdpr", connection: connection, wait: wait)
        case ("job", 2):
            job = try connection.adminGet("/v1/privacy/jobs/\(QueryText.escape(positionals[1]))")
        default:
            throw UsageError("privacy needs access NS:VALUE, delete NS:VALUE or job ID")
        }
        return try report(job, out: arguments.options["out"], json: arguments.flags.contains("json"))
    }

    /// Submits a job and follows it until it finishes or `wait` seconds pass.
    static func submit(
        action: String, identity text: String, regulation: String, connection: ServerConnection, wait: Int
    ) throws -> JSONValue {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex, colon != text.index(before: text.endIndex)
        else { throw UsageError("the identity must be NAMESPACE:VALUE") }
        let body: JSONValue = [
            "regulation": .string(regulation), "action": .string(action),
            "identity": [
                "namespace": .string(String(text[..<colon])),
                "value": .string(String(text[text.index(after: colon)...])),
            ],
        ]
        var job = try connection.admin("POST", "/v1/privacy/jobs", body: body.serializedBytes)
        let deadline = Date(timeIntervalSinceNow: TimeInterval(wait))
        while !isFinished(job), Date() < deadline, let id = job["id"]?.stringValue {
            Thread.sleep(forTimeInterval: 0.2)
            job = try connection.adminGet("/v1/privacy/jobs/\(QueryText.escape(id))")
        }
        return job
    }

    static func isFinished(_ job: JSONValue) -> Bool {
        job["state"]?.stringValue == "done" || job["state"]?.stringValue == "failed"
    }

    /// Prints (or writes) the job; the exit status is 0 for a finished job, 1 for a failed or
    /// unfinished one.
    static func report(_ job: JSONValue, out: String?, json: Bool) throws -> Int32 {
        let id = job["id"]?.stringValue ?? "?"
        let state = job["state"]?.stringValue ?? "?"
        if let out, let document = job["document"], document != .null {
            try write(document.serialized, to: out)
            print("Access job \(id) \(state): document written to \(out).")
        } else if json || job["action"]?.stringValue == "access" {
            print(job.serialized)
        } else {
            print(render(job))
        }
        return state == "done" ? 0 : 1
    }

    /// Writes `text` to a file readable by its owner only: the document holds personal data.
    static func write(_ text: String, to path: String) throws {
        try? FileManager.default.removeItem(atPath: path)
        guard
            FileManager.default.createFile(
                atPath: path, contents: Data((text + "\n").utf8), attributes: [.posixPermissions: 0o600])
        else { throw ServerError("cannot write \(path)") }
    }

    static func render(_ job: JSONValue) -> String {
        var lines = [
            "Privacy job \(job["id"]?.stringValue ?? "?"): "
                + "\(job["action"]?.stringValue ?? "?") \(job["state"]?.stringValue ?? "?")"
        ]
        if let error = job["error"]?.stringValue { lines.append("  error: \(error)") }
        guard let receipt = job["receipt"], receipt != .null else { return lines.joined(separator: "\n") }
        lines.append("  finished: \(receipt["finishedAt"]?.stringValue ?? "?")")
        for (store, count) in (receipt["counts"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            lines.append("  \(store): \(count.intValue.map(String.init) ?? "?")")
        }
        let signature = receipt["signature"] ?? [:]
        lines.append(
            "  signature: \(signature["algorithm"]?.stringValue ?? "?") \(signature["value"]?.stringValue ?? "?") "
                + "(key \(signature["keyId"]?.stringValue ?? "?"))")
        return lines.joined(separator: "\n")
    }
}
