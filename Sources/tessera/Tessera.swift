import Foundation
import TesseraCommands

/// The `tessera` command: everything it does lives in `TesseraCommands`.
@main
struct Tessera {
    static func main() async {
        let status = await CommandLineTool.run(arguments: Array(CommandLine.arguments.dropFirst()))
        exit(status)
    }
}
