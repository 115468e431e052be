import Foundation
import TesseraCore

/// `tessera-bench <name>`: runs one in-process benchmark and prints its result as one JSON line.
@main
struct TesseraBench {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        switch arguments.first {
        case "decode":
            let bodies = arguments.count > 1 ? Int(arguments[1]) ?? 2_000 : 2_000
            print(JSONValue.object(DecodeBenchmark.run(bodies: bodies)).serialized)
        case "load-profiles":
            do {
                print(JSONValue.object(try ProfileLoader.run(arguments: Array(arguments.dropFirst()))).serialized)
            } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                exit(1)
            }
        case "audiences":
            print(JSONValue.object(AudienceBenchmark.run(arguments: Array(arguments.dropFirst()))).serialized)
        case "streaming":
            do {
                print(JSONValue.object(try StreamingBenchmark.run(arguments: Array(arguments.dropFirst()))).serialized)
            } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                exit(1)
            }
        case "activation":
            do {
                let result = try await ActivationBenchmark.run(arguments: Array(arguments.dropFirst()))
                print(JSONValue.object(result).serialized)
            } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                exit(1)
            }
        case "erasure":
            do {
                print(JSONValue.object(try ErasureBenchmark.run(arguments: Array(arguments.dropFirst()))).serialized)
            } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                exit(1)
            }
        case "identity":
            print(JSONValue.object(IdentityBenchmark.run(arguments: Array(arguments.dropFirst()))).serialized)
        default:
            let usage = """
                usage: tessera-bench decode [BODIES]
                       tessera-bench identity [LINKS] [NODES] [EDGE-FILE]
                       tessera-bench streaming [EVENTS] [AUDIENCES]
                       tessera-bench audiences [PROFILES] [EXPORT-DIR]
                       tessera-bench load-profiles PORT WRITE-KEY COUNT
                       tessera-bench activation PORT ADMIN-TOKEN WRITE-KEY [RATE] [SECONDS] [PEOPLE]
                       tessera-bench erasure [PROFILES]

                """
            FileHandle.standardError.write(Data(usage.utf8))
            exit(64)
        }
    }
}
