import CNATS
import Glibc
import TesseraCore

/// One connection to a NATS server with its JetStream context: the only code that touches libnats.
///
/// libnats (nats.c, Debian `libnats-dev`) speaks the NATS protocol, reconnects and tracks JetStream
/// acknowledgements; writing that by hand would duplicate a maintained client. Connections and
/// JetStream contexts are thread-safe in libnats, so one client serves every sending thread; calls
/// block, so callers keep them off Swift's cooperative threads.
///
/// `@unchecked Sendable`: the pointers are created in `init`, never changed, used through the
/// thread-safe libnats API and freed once in `deinit`.
public final class NATSClient: @unchecked Sendable {
    /// A failed libnats call: its status text and, for JetStream, the server's error code.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// The libnats status, such as `NATS_TIMEOUT`.
        public var status: String
        /// JetStream's error code (`10058` …), 0 when the server gave none.
        public var jetStreamCode: Int
        /// Whether the call ran out of time.
        public var timedOut: Bool
        /// Whether no stream listens on the subject (`NATS_NO_RESPONDERS`).
        public var noStream: Bool

        init(_ status: natsStatus, code: jsErrCode = jsErrCode(rawValue: 0)) {
            self.status = String(cString: natsStatus_GetText(status))
            jetStreamCode = Int(code.rawValue)
            timedOut = status == NATS_TIMEOUT
            noStream = status == NATS_NO_RESPONDERS
        }

        public var description: String { "libnats: \(status) (JetStream code \(jetStreamCode))" }
    }

    /// A message read by a consumer: its body and JetStream message id.
    public struct Message: Sendable {
        /// The message's data.
        public var data: [UInt8]
        /// The `Nats-Msg-Id` header, when the publisher set one.
        public var messageID: String?
    }

    private let connection: OpaquePointer
    private let jetStream: OpaquePointer
    /// How long a request may wait for the server, in milliseconds.
    public let timeoutMilliseconds: Int64

    /// Connects to `url` (`nats://host:port`) and opens a JetStream context.
    ///
    /// - Throws: ``Failure`` when the server cannot be reached in `timeoutMilliseconds`.
    public init(url: String, timeoutMilliseconds: Int64) throws(Failure) {
        var options: OpaquePointer?
        try Self.check(natsOptions_Create(&options))
        defer { natsOptions_Destroy(options) }
        try Self.check(natsOptions_SetURL(options, url))
        try Self.check(natsOptions_SetTimeout(options, timeoutMilliseconds))
        // Reconnect in the background for ever; a send during an outage fails and is retried.
        try Self.check(natsOptions_SetMaxReconnect(options, -1))
        var connection: OpaquePointer?
        try Self.check(natsConnection_Connect(&connection, options))
        var jsOptions = jsOptions()
        jsOptions_Init(&jsOptions)
        jsOptions.Wait = timeoutMilliseconds
        var context: OpaquePointer?
        let status = natsConnection_JetStream(&context, connection, &jsOptions)
        guard status == NATS_OK, let connection, let context else {
            natsConnection_Destroy(connection)
            throw Failure(status)
        }
        self.connection = connection
        self.jetStream = context
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    deinit {
        jsCtx_Destroy(jetStream)
        natsConnection_Destroy(connection)
    }

    /// Publishes `data` to `subject` and waits for the stream's acknowledgement.
    ///
    /// JetStream drops a second message with the same `messageID` inside the stream's duplicate
    /// window (two minutes by default) and acknowledges it as a duplicate.
    /// - Returns: Whether the stream already had a message with that id.
    /// - Throws: ``Failure`` for a timeout, no stream on the subject, or a JetStream error.
    @discardableResult
    public func publish(_ data: [UInt8], to subject: String, messageID: String) throws(Failure) -> Bool {
        var options = jsPubOptions()
        jsPubOptions_Init(&options)
        options.MaxWait = timeoutMilliseconds
        var ack: UnsafeMutablePointer<jsPubAck>?
        var code = jsErrCode(rawValue: 0)
        let status = messageID.withCString { id in
            options.MsgId = id
            return data.withUnsafeBytes { bytes in
                js_Publish(&ack, jetStream, subject, bytes.baseAddress, Int32(bytes.count), &options, &code)
            }
        }
        defer { jsPubAck_Destroy(ack) }
        guard status == NATS_OK else { throw Failure(status, code: code) }
        return ack?.pointee.Duplicate ?? false
    }

    /// Creates a stream named `name` on `subjects`, kept in memory, unless it exists.
    ///
    /// Tessera publishes to streams the operator manages; tests and benchmarks create their own.
    public func addStream(named name: String, subjects: [String]) throws(Failure) {
        var config = jsStreamConfig()
        jsStreamConfig_Init(&config)
        config.Storage = js_MemoryStorage
        var code = jsErrCode(rawValue: 0)
        var info: UnsafeMutablePointer<jsStreamInfo>?
        let cSubjects = subjects.map { strdup($0) }
        defer { cSubjects.forEach { free($0) } }
        let status = name.withCString { cName in
            config.Name = cName
            var pointers = cSubjects.map { UnsafePointer<CChar>($0) }
            return pointers.withUnsafeMutableBufferPointer { buffer in
                config.Subjects = buffer.baseAddress
                config.SubjectsLen = Int32(buffer.count)
                return js_AddStream(&info, jetStream, &config, nil, &code)
            }
        }
        jsStreamInfo_Destroy(info)
        // 10058: a stream with that name exists (with the same settings, it is no error).
        guard status == NATS_OK || code.rawValue == 10058 else { throw Failure(status, code: code) }
    }

    /// A pull consumer on `subject` under the durable name `durable`.
    public func pullConsumer(subject: String, durable: String) throws(Failure) -> NATSConsumer {
        var subscription: OpaquePointer?
        var code = jsErrCode(rawValue: 0)
        let status = js_PullSubscribe(&subscription, jetStream, subject, durable, nil, nil, &code)
        guard status == NATS_OK, let subscription else { throw Failure(status, code: code) }
        return NATSConsumer(subscription: subscription, client: self)
    }

    static func check(_ status: natsStatus) throws(Failure) {
        guard status == NATS_OK else { throw Failure(status) }
    }
}

/// A JetStream pull consumer: fetches and acknowledges messages.
///
/// `@unchecked Sendable`: libnats subscriptions are thread-safe; the pointer is freed once in `deinit`.
public final class NATSConsumer: @unchecked Sendable {
    private let subscription: OpaquePointer
    /// The connection the subscription reads through, kept open while the consumer lives.
    private let client: NATSClient

    init(subscription: OpaquePointer, client: NATSClient) {
        self.subscription = subscription
        self.client = client
    }

    deinit {
        natsSubscription_Destroy(subscription)
    }

    /// Up to `count` messages, waiting at most `timeoutMilliseconds`; each is acknowledged.
    ///
    /// - Returns: The messages, possibly fewer than `count` (none on timeout).
    public func fetch(count: Int, timeoutMilliseconds: Int64) throws(NATSClient.Failure) -> [NATSClient.Message] {
        var list = natsMsgList()
        var code = jsErrCode(rawValue: 0)
        let status = natsSubscription_Fetch(&list, subscription, Int32(count), timeoutMilliseconds, &code)
        defer { natsMsgList_Destroy(&list) }
        if status == NATS_TIMEOUT { return [] }
        guard status == NATS_OK else { throw NATSClient.Failure(status, code: code) }
        var messages: [NATSClient.Message] = []
        for index in 0..<Int(list.Count) {
            guard let message = list.Msgs[index] else { continue }
            let length = Int(natsMsg_GetDataLength(message))
            let data = natsMsg_GetData(message).map {
                Array(UnsafeRawBufferPointer(start: $0, count: length).bindMemory(to: UInt8.self))
            }
            var header: UnsafePointer<CChar>?
            let id =
                natsMsgHeader_Get(message, "Nats-Msg-Id", &header) == NATS_OK ? header.map { String(cString: $0) } : nil
            _ = natsMsg_Ack(message, nil)
            messages.append(NATSClient.Message(data: data ?? [], messageID: id))
        }
        return messages
    }
}
