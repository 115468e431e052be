import Foundation

/// Locates the shared test data (`../shared/testdata` beside the repository) and scratch directories.
public enum TestData {
    /// The repository's root, found from this file's path.
    public static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// `shared/testdata`, or `TESSERA_TESTDATA` when set.
    public static var root: String {
        if let override = ProcessInfo.processInfo.environment["TESSERA_TESTDATA"] { return override }
        return URL(fileURLWithPath: repositoryRoot).deletingLastPathComponent().appendingPathComponent(
            "shared/testdata"
        ).path
    }

    /// The bytes of a file under the test data root.
    public static func bytes(_ relativePath: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: root + "/" + relativePath)))
    }

    /// Paths, relative to the test data root, of the files under `folder` whose names end in `suffix`.
    public static func files(under folder: String, endingWith suffix: String) -> [String] {
        let base = root + "/" + folder
        guard let enumerator = FileManager.default.enumerator(atPath: base) else { return [] }
        return enumerator.compactMap { $0 as? String }.filter { $0.hasSuffix(suffix) }.sorted().map {
            folder + "/" + $0
        }
    }
}

/// A directory under the system's temporary directory, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "tessera-test") throws {
        let template = NSTemporaryDirectory() + "/\(prefix)-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard let created = mkdtemp(&bytes) else { throw CocoaError(.fileWriteUnknown) }
        path = String(cString: created)
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
