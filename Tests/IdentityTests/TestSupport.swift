import Identity
import TesseraCore

/// A stand-in for libphonenumber, so that these tests need no C++: keeps `+` and digits, and reads
/// ten-digit US numbers and zero-prefixed eleven-digit UK numbers. The real formatter is tested in
/// PhoneNumbersTests.
struct FakePhones: PhoneNumberNormalizing {
    func e164(_ raw: String, defaultRegion: String) -> String? {
        let digits = String(raw.unicodeScalars.filter { ("0"..."9").contains($0) })
        if raw.hasPrefix("+") { return (8...15).contains(digits.count) ? "+" + digits : nil }
        switch defaultRegion {
        case "US" where digits.count == 10: return "+1" + digits
        case "US" where digits.count == 11 && digits.hasPrefix("1"): return "+" + digits
        case "GB" where digits.count == 11 && digits.hasPrefix("0"): return "+44" + digits.dropFirst()
        default: return nil
        }
    }
}

/// Shorthands for writing scenarios.
extension Identity {
    /// `"email:jane@example.com"` as an identity; traps on malformed text (test data only).
    init(_ text: String) {
        self.init(parsing: text)!
    }
}

/// A day in milliseconds.
let day: Int64 = 86_400_000

/// The start of every scenario's clock.
let epoch = Timestamp(milliseconds: 1_764_720_000_000)

/// A provenance for record `sequence` at `epoch + days`.
func evidence(_ sequence: Int64, days: Double = 0, rule: String = "test.record") -> Provenance {
    Provenance(
        record: sequence, source: 1, rule: rule, time: epoch.adding(milliseconds: Int64(days * Double(day))))
}

extension IdentityGraph {
    /// Observes identities written as text.
    @discardableResult
    func see(_ identities: [String], _ sequence: Int64, days: Double = 0) -> Resolution {
        observe(identities.map(Identity.init), provenance: evidence(sequence, days: days))
    }

    /// Every profile as the sorted texts of its identities, sorted.
    var partition: [[String]] {
        profiles.map { identities(in: $0).map(\.identity.description).sorted() }.sorted {
            $0.description < $1.description
        }
    }

    /// Every profile id with the sorted texts of its identities.
    var profilesByID: [Int64: [String]] {
        Dictionary(
            uniqueKeysWithValues: profiles.map { id in
                (id.rawValue, identities(in: id).map(\.identity.description).sorted())
            })
    }

    /// The profile of an identity written as text.
    func profileOf(_ text: String) -> ProfileID? {
        profile(of: Identity(text))
    }
}

/// Sorts a partition written by hand the way `IdentityGraph.partition` is sorted.
func sortedPartition(_ groups: [[String]]) -> [[String]] {
    groups.map { $0.sorted() }.sorted { $0.description < $1.description }
}
