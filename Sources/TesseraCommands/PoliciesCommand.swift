import Foundation
import Server
import TesseraCore

/// `tessera policies check|list`: whether an audience may go to a destination (or a rule be used
/// for marketing actions), through the server's `POST /v1/policies/evaluate`.
///
/// `check` exits 0 when allowed and 2 when a policy denies the use, so scripts can gate on it.
enum PoliciesCommand {
    static let usage = """
        policies needs one of:
          check --audience ID --destination ID
          check --rule TEXT --action ACTION[,ACTION…] [--mapping PATH[,PATH…]]
          list
        """

    /// The exit status of a check that a policy denies.
    static let deniedStatus: Int32 = 2

    static func run(_ words: [String]) throws -> Int32 {
        let arguments = try Arguments(
            words, options: ServerConnection.options.union(["audience", "destination", "rule", "action", "mapping"]),
            flags: ["json"])
        let connection = try ServerConnection(arguments)
        let json = arguments.flags.contains("json")
        switch arguments.positionals {
        case ["check"]:
            let answer = try connection.admin(
                "POST", "/v1/policies/evaluate", body: try request(arguments).serializedBytes)
            print(json ? answer.serialized : render(answer))
            return answer["allowed"] == true ? 0 : deniedStatus
        case ["list"]:
            let answer = try connection.adminGet("/v1/policies")
            print(json ? answer.serialized : renderList(answer))
            return 0
        default:
            throw UsageError(usage)
        }
    }

    /// The evaluation request the options describe.
    static func request(_ arguments: Arguments) throws -> JSONValue {
        let options = arguments.options
        var body: [String: JSONValue] = [:]
        switch (options["audience"], options["rule"]) {
        case (let audience?, nil):
            guard let id = Int64(audience) else { throw UsageError("--audience takes an audience id") }
            body["audienceId"] = .int(id)
        case (nil, let rule?):
            body["rule"] = .string(rule)
        default:
            throw UsageError("check needs --audience ID or --rule TEXT\n\n\(usage)")
        }
        switch (options["destination"], options["action"]) {
        case (let destination?, nil):
            guard let id = Int64(destination) else { throw UsageError("--destination takes a destination id") }
            body["destinationId"] = .int(id)
        case (nil, let actions?):
            body["marketingActions"] = .array(list(actions).map(JSONValue.string))
            if let mapping = options["mapping"] { body["mapping"] = .array(list(mapping).map(JSONValue.string)) }
        default:
            throw UsageError("check needs --destination ID or --action ACTION\n\n\(usage)")
        }
        return .object(body)
    }

    private static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    // MARK: - Rendering

    /// The decision in words: allowed, or each violation with its policy, action, field and labels.
    static func render(_ answer: JSONValue) -> String {
        let actions = (answer["marketingActions"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")
        let fields = answer["fields"]?.arrayValue?.count ?? 0
        let violations = answer["violations"]?.arrayValue ?? []
        guard !violations.isEmpty else {
            return "Allowed: no policy denies \(actions) on the \(fields) fields used."
        }
        var lines = ["Denied: \(violations.count) violation(s) of data-usage policy for \(actions)."]
        for violation in violations {
            let labels = (violation["labels"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")
            var line =
                "  ✗ \(violation["policy"]?.stringValue ?? "") denies \(violation["action"]?.stringValue ?? ""): "
                + "\(violation["field"]?.stringValue ?? "") (read by \(violation["via"]?.stringValue ?? "")) "
                + "carries \(labels)"
            let sources = (violation["sources"]?.arrayValue ?? []).compactMap(\.stringValue)
            if !sources.isEmpty { line += " from source \(sources.joined(separator: ", "))" }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// One line per policy: name, action, the labels it denies.
    static func renderList(_ answer: JSONValue) -> String {
        let policies = answer["policies"]?.arrayValue ?? []
        guard !policies.isEmpty else { return "no policies" }
        return policies.map { policy in
            "\(policy["name"]?.stringValue ?? ""): deny \(policy["action"]?.stringValue ?? "") "
                + "when \(policy["deny"]?.stringValue ?? "") (\(policy["origin"]?.stringValue ?? ""))"
        }.joined(separator: "\n")
    }
}
