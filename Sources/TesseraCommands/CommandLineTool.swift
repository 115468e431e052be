import Foundation
import Server
import TesseraCore

/// The `tessera` command line: one entry point, one type per subcommand.
public enum CommandLineTool {
    static let usage = """
        usage: tessera <command> [options]

        commands:
          serve          run the server (--data DIR, --listen HOST:PORT)
          sources        add NAME | list | rotate-key NAME   (--data DIR)
          dead-letters   list | replay ID [--source NAME]    (--server URL)
          tokens         create NAME --scopes a,b | list | revoke ID   (--server URL)
          profile        get NAMESPACE:VALUE | get ID         (--fields, --merge-policy, --json)
          identity       explain A B | unlink A [B] | simulate --rules FILE
          audiences      create | list | show | members | history | evaluate | why | update | delete
          policies       check --audience ID --destination ID | check --rule TEXT --action A,B | list
          destinations   create NAME --kind K … | list | show | update | delete   (--server URL)
          deliveries     list DESTINATION [--state dead] | replay ID
          triggers       create NAME --destination D --event RULE | list | delete
          privacy        access NS:VALUE [--out FILE] | delete NS:VALUE [--regulation gdpr] | job ID
          demo           send a synthetic customer history   (--people N, --days D)
          version        print the version
        """

    /// Runs the command in `arguments` (without the program name) and returns the exit status.
    public static func run(arguments: [String]) async -> Int32 {
        guard let command = arguments.first else {
            printError(usage)
            return 64
        }
        let rest = Array(arguments.dropFirst())
        do {
            switch command {
            case "serve": return try await ServeCommand.run(rest)
            case "sources": return try await SourcesCommand.run(rest)
            case "dead-letters": return try DeadLettersCommand.run(rest)
            case "tokens": return try TokensCommand.run(rest)
            case "demo": return try DemoCommand.run(rest)
            case "profile": return try ProfileCommand.run(rest)
            case "identity": return try IdentityCommand.run(rest)
            case "audiences": return try AudiencesCommand.run(rest)
            case "policies": return try PoliciesCommand.run(rest)
            case "destinations": return try DestinationsCommand.run(rest)
            case "deliveries": return try DeliveriesCommand.run(rest)
            case "triggers": return try TriggersCommand.run(rest)
            case "privacy": return try PrivacyCommand.run(rest)
            case "version", "--version":
                print("tessera \(TesseraVersion.current)")
                return 0
            case "help", "--help", "-h":
                print(usage)
                return 0
            default:
                throw UsageError("unknown command \(command)")
            }
        } catch let error as UsageError {
            printError("tessera: \(error.description)\n\n\(usage)")
            return 64
        } catch {
            printError("tessera: \(error)")
            return 1
        }
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
