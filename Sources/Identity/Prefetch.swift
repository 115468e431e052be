/// LLVM's prefetch intrinsic, which compiles to one prefetch instruction (`prefetcht0` on x86-64,
/// `prfm` on arm64).
///
/// Declared by name because the standard library offers no prefetch. Unlike a load, a prefetch
/// never holds up the instructions after it, which is what lets `observe(_:)` on a batch fetch the
/// cache lines of records it will reach later while it works on the current one. It reads nothing
/// and cannot fault, so any address is safe to pass.
@_silgen_name("llvm.prefetch.p0")
private func llvmPrefetch(_ address: UnsafeRawPointer, _ write: Int32, _ locality: Int32, _ cacheType: Int32)

/// Hints that memory will be read soon.
enum Prefetch {
    /// Asks the processor to bring the cache line holding `address` into every cache level.
    @inline(__always)
    static func read<T>(_ address: UnsafePointer<T>) {
        llvmPrefetch(UnsafeRawPointer(address), 0, 3, 1)
    }

    /// Asks the processor to bring the cache line holding `address` into every cache level.
    @inline(__always)
    static func read(_ address: UnsafeRawPointer) {
        llvmPrefetch(address, 0, 3, 1)
    }
}
