import Foundation

/// One export file opened for appending: the only owner of its file descriptor.
///
/// Writes go straight to the descriptor (no buffering) and ``sync()`` calls `fsync`, so a batch is
/// marked delivered only once its lines are on disk. When the file was created by the open, the
/// directory is synced too, so the new name survives a crash.
final class ExportFile {
    /// Why a file operation failed: the call and the `errno` it left.
    struct Failure: Error {
        var operation: String
        var errorNumber: Int32
    }

    private let descriptor: Int32

    /// The size of the file when it was opened; 0 for a new or empty file.
    let initialSize: Int64

    /// Opens `path` for appending, creating it (mode 0640) when missing.
    init(path: String, directory: String) throws(Failure) {
        let existed = access(path, F_OK) == 0
        let opened = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard opened >= 0 else { throw Failure(operation: "open", errorNumber: errno) }
        descriptor = opened
        var info = stat()
        guard fstat(opened, &info) == 0 else {
            let code = errno
            close(opened)
            throw Failure(operation: "fstat", errorNumber: code)
        }
        initialSize = Int64(info.st_size)
        if !existed {
            let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if directoryDescriptor >= 0 {
                _ = fsync(directoryDescriptor)
                close(directoryDescriptor)
            }
        }
    }

    deinit {
        close(descriptor)
    }

    /// Appends all of `bytes`, retrying short writes and interruptions.
    func append(_ bytes: [UInt8]) throws(Failure) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw Failure(operation: "write", errorNumber: errno)
            }
            offset += written
        }
    }

    /// Flushes the file's data to disk.
    func sync() throws(Failure) {
        guard fsync(descriptor) == 0 else { throw Failure(operation: "fsync", errorNumber: errno) }
    }

    /// The first line of the file at `path` (without its newline), read from at most the first 64 KiB.
    static func firstLine(of path: String) -> [UInt8]? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: 65_536) else { return nil }
        let bytes = [UInt8](data)
        guard let end = bytes.firstIndex(of: UInt8(ascii: "\n")) else { return bytes }
        return Array(bytes[..<end])
    }
}
