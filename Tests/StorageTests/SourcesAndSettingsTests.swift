import Storage
import Testing
import TesseraCore

@Suite("Sources and settings")
struct SourcesAndSettingsTests {
    @Test("sources are added with unique names and write keys and found by either")
    func addAndFind() async throws {
        let clock = ManualClock()
        try await withStore(clock: clock) { store, _ in
            let web = try await store.addSource(name: "web", writeKey: "key-web")
            let ios = try await store.addSource(name: "ios", writeKey: "key-ios")
            #expect(web.createdAt == clock.now())
            #expect(try store.sources() == [web, ios])
            #expect(try store.source(name: "ios") == ios)
            #expect(try store.source(writeKey: "key-web") == web)
            #expect(try store.source(name: "android") == nil)
            #expect(try store.source(writeKey: "nope") == nil)

            let takenName = try await #require(throws: StorageError.self) {
                try await store.addSource(name: "web", writeKey: "another")
            }
            #expect(takenName.kind == .conflict)
            #expect(takenName.message.contains("name"))
            let takenKey = try await #require(throws: StorageError.self) {
                try await store.addSource(name: "android", writeKey: "key-ios")
            }
            #expect(takenKey.kind == .conflict)
            #expect(takenKey.message.contains("write key"))
            #expect(try store.sources().count == 2)
        }
    }

    @Test("rotating a write key retires the old key at once")
    func rotate() async throws {
        try await withStore { store, _ in
            let web = try await store.addSource(name: "web", writeKey: "old-key")
            _ = try await store.addSource(name: "ios", writeKey: "key-ios")
            let rotated = try await store.rotateWriteKey(sourceName: "web", newKey: "new-key")
            #expect(rotated.id == web.id && rotated.writeKey == "new-key" && rotated.createdAt == web.createdAt)
            #expect(try store.source(writeKey: "old-key") == nil)
            #expect(try store.source(writeKey: "new-key") == rotated)

            let missing = try await #require(throws: StorageError.self) {
                try await store.rotateWriteKey(sourceName: "android", newKey: "k")
            }
            #expect(missing.kind == .notFound)
            let taken = try await #require(throws: StorageError.self) {
                try await store.rotateWriteKey(sourceName: "web", newKey: "key-ios")
            }
            #expect(taken.kind == .conflict)
            #expect(try store.source(name: "web")?.writeKey == "new-key")
        }
    }

    @Test("settings are stored, replaced and read back")
    func settings() async throws {
        try await withStore { store, _ in
            #expect(try store.setting("admin.token_hash") == nil)
            try await store.setSetting("admin.token_hash", "abc")
            #expect(try store.setting("admin.token_hash") == "abc")
            try await store.setSetting("admin.token_hash", "def")
            #expect(try store.setting("admin.token_hash") == "def")
        }
    }
}
