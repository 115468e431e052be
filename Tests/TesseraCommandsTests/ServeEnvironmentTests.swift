import Server
import Testing

@testable import TesseraCommands

/// What `tessera serve` takes from its environment.
@Suite struct ServeEnvironmentTests {
    @Test("TESSERA_ADMIN_TOKEN and TESSERA_CA_FILE reach the server's configuration; empty values do not")
    func environment() throws {
        let arguments = try Arguments([], options: ServeCommand.options)
        let set = try ServeCommand.configuration(
            from: arguments, environment: ["TESSERA_ADMIN_TOKEN": "t0ken", "TESSERA_CA_FILE": "/etc/ca.pem"])
        #expect(set.adminToken == "t0ken")
        #expect(set.webhookCertificateAuthorities == "/etc/ca.pem")

        let empty = try ServeCommand.configuration(
            from: arguments, environment: ["TESSERA_ADMIN_TOKEN": "", "TESSERA_CA_FILE": ""])
        #expect(empty.adminToken == nil)
        #expect(empty.webhookCertificateAuthorities == nil)
    }
}
