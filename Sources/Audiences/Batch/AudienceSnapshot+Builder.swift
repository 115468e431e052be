public import TesseraCore

extension AudienceSnapshot {
    /// Collects profiles and events into an `AudienceSnapshot`, keeping only what the rules read.
    ///
    /// Add profiles one by one (`addProfile`, `addEvent`) or in blocks of ready columns
    /// (`addProfiles`, `addEvents`), which is how millions of profiles load without building a
    /// `JSONValue` per profile. Events may arrive in any order; `build()` groups them by row.
    public struct Builder: Sendable {
        /// What the snapshot will keep.
        public let needs: Needs
        private var profileIDs: [Int64] = []
        private var attributes: [String: ValueColumn]
        private var identityRows: [String: [Int32]]
        private var consent: [String: [ConsentAnswer]]
        private var events: [String: PendingEvents]

        /// Creates a builder that keeps what `rules` read (attribute paths, namespaces, consent paths,
        /// event names and the event fields they filter or aggregate on).
        public init(rules: [AudienceRule]) {
            self.init(needs: Needs(rules: rules))
        }

        /// Creates a builder that keeps `needs`.
        public init(needs: Needs) {
            self.needs = needs
            attributes = Dictionary(uniqueKeysWithValues: needs.attributes.map { ($0, ValueColumn()) })
            identityRows = Dictionary(uniqueKeysWithValues: needs.namespaces.map { ($0, []) })
            consent = Dictionary(uniqueKeysWithValues: needs.consentPaths.map { ($0, []) })
            events = needs.events.mapValues { PendingEvents(fields: $0) }
        }

        /// The number of profiles added so far.
        public var count: Int32 { Int32(profileIDs.count) }

        /// Adds one profile and returns its row.
        ///
        /// - Parameters:
        ///   - id: The profile's id, returned by `profileID(ofRow:)`.
        ///   - attributes: The merged profile attributes (`attribute PATH` reads here).
        ///   - computed: The computed attributes (`computed.PATH` reads `PATH` here).
        ///   - identityNamespaces: The namespaces the profile holds identities in.
        ///   - consent: Answers by `purpose` or `purpose.channel`; a missing path answers `"u"`.
        /// - Returns: The profile's row.
        @discardableResult
        public mutating func addProfile(
            id: Int64, attributes profileAttributes: JSONValue, computed: JSONValue,
            identityNamespaces: Set<String>, consent answers: [String: ConsentAnswer]
        ) -> Int32 {
            let row = count
            precondition(row < Int32.max, "a snapshot holds fewer than 2^31 profiles")
            profileIDs.append(id)
            for path in attributes.keys {
                attributes[path]!.append(Self.attribute(path, attributes: profileAttributes, computed: computed))
            }
            for namespace in identityNamespaces where identityRows[namespace] != nil {
                identityRows[namespace]!.append(row)
            }
            for path in consent.keys { consent[path]!.append(answers[path] ?? .unknown) }
            return row
        }

        /// Adds one event of the profile at `row`; events of names no rule reads are dropped.
        public mutating func addEvent(row: Int32, _ event: AudienceEvent) {
            precondition(row >= 0 && row < count, "the event's row is not a profile of this snapshot")
            guard events[event.name] != nil else { return }
            events[event.name]!.append(row: row, time: event.time.milliseconds, sequence: event.sequence) {
                event.field($0)
            }
        }

        /// Adds a block of profiles from ready columns and returns their rows.
        ///
        /// Columns and paths no rule reads are ignored; a path the rules read but the block lacks is
        /// missing for the block's profiles.
        ///
        /// - Parameters:
        ///   - ids: The profiles' ids, one per row of the block.
        ///   - attributes: Columns by rule path (`tier`, `computed.orderCount`), each `ids.count` long.
        ///   - identities: Per namespace, the block's rows (`0..<ids.count`) holding such an identity.
        ///   - consent: Answers by path, each `ids.count` long; absent paths answer `"u"`.
        /// - Returns: The rows given to the block.
        @discardableResult
        public mutating func addProfiles(
            ids: [Int64], attributes columns: [String: ValueColumn], identities: [String: DenseBitset] = [:],
            consent answers: [String: [ConsentAnswer]] = [:]
        ) -> Range<Int32> {
            let first = count
            precondition(Int(first) + ids.count < Int(Int32.max), "a snapshot holds fewer than 2^31 profiles")
            profileIDs.append(contentsOf: ids)
            for path in attributes.keys {
                if let column = columns[path] {
                    precondition(column.count == ids.count, "one value per profile of the block")
                    attributes[path]!.append(contentsOf: column)
                } else {
                    attributes[path]!.appendMissing(ids.count)
                }
            }
            for namespace in identityRows.keys {
                guard let rows = identities[namespace] else { continue }
                precondition(rows.universe == Int32(ids.count), "identity sets range over the block's rows")
                rows.forEachMember { identityRows[namespace]!.append(first + $0) }
            }
            for path in consent.keys {
                let block = answers[path] ?? Array(repeating: .unknown, count: ids.count)
                precondition(block.count == ids.count, "one consent answer per profile of the block")
                consent[path]!.append(contentsOf: block)
            }
            return first..<count
        }

        /// Adds events of one name from ready columns; ignored when no rule reads the name.
        ///
        /// - Parameters:
        ///   - name: The event name.
        ///   - rows: Each event's profile row (already added).
        ///   - times: Each event's time in milliseconds since 1970.
        ///   - sequences: Each event's log sequence.
        ///   - fields: Columns by field path (`properties.total`), one value per event.
        public mutating func addEvents(
            named name: String, rows: [Int32], times: [Int64], sequences: [Int64], fields: [String: ValueColumn]
        ) {
            precondition(rows.count == times.count && rows.count == sequences.count, "one time and sequence per event")
            precondition(rows.allSatisfy { $0 >= 0 && $0 < count }, "an event's row is not a profile of this snapshot")
            guard events[name] != nil else { return }
            events[name]!.append(rows: rows, times: times, sequences: sequences, fields: fields)
        }

        /// The snapshot of everything added.
        ///
        /// - Complexity: O(profiles + events), plus sorting each profile's events when they were not
        ///   added in (row, time, sequence) order.
        public func build() -> AudienceSnapshot {
            let universe = count
            var identitySets: [String: DenseBitset] = [:]
            for (namespace, rows) in identityRows {
                var set = DenseBitset(universe: universe)
                for row in rows { set.insert(row) }
                identitySets[namespace] = set
            }
            return AudienceSnapshot(
                needs: needs, profileIDs: profileIDs, attributes: attributes.mapValues { $0.sealed() },
                identities: identitySets, consent: consent,
                events: events.mapValues { $0.grouped(universe: universe) })
        }

        /// The value an attribute condition reads from a profile.
        static func attribute(_ path: String, attributes: JSONValue, computed: JSONValue) -> JSONValue? {
            if path.hasPrefix("computed.") {
                return AudienceFacts.value(at: String(path.dropFirst("computed.".count)), in: computed)
            }
            return AudienceFacts.value(at: path, in: attributes)
        }
    }

    /// Events of one name as added, before grouping by row.
    struct PendingEvents: Sendable {
        var rows: [Int32] = []
        var times: [Int64] = []
        var sequences: [Int64] = []
        var fields: [String: ValueColumn]

        init(fields paths: Set<String>) {
            fields = Dictionary(uniqueKeysWithValues: paths.map { ($0, ValueColumn()) })
        }

        mutating func append(row: Int32, time: Int64, sequence: Int64, field: (String) -> JSONValue?) {
            rows.append(row)
            times.append(time)
            sequences.append(sequence)
            for path in fields.keys { fields[path]!.append(field(path)) }
        }

        mutating func append(rows: [Int32], times: [Int64], sequences: [Int64], fields columns: [String: ValueColumn]) {
            self.rows.append(contentsOf: rows)
            self.times.append(contentsOf: times)
            self.sequences.append(contentsOf: sequences)
            for path in fields.keys {
                if let column = columns[path] {
                    precondition(column.count == rows.count, "one field value per event")
                    fields[path]!.append(contentsOf: column)
                } else {
                    fields[path]!.appendMissing(rows.count)
                }
            }
        }

        /// The events grouped by row and ordered by (time, sequence) within each row.
        func grouped(universe: Int32) -> EventColumns {
            var offsets = [UInt32](repeating: 0, count: Int(universe) + 1)
            precondition(rows.count < Int(UInt32.max), "fewer than 2^32 events of one name")
            for row in rows { offsets[Int(row) + 1] += 1 }
            for row in 0..<Int(universe) { offsets[row + 1] += offsets[row] }
            let sealedFields = fields.mapValues { $0.sealed() }
            var eventRows = [Int32](repeating: 0, count: rows.count)
            for row in 0..<Int(universe) {
                for index in Int(offsets[row])..<Int(offsets[row + 1]) { eventRows[index] = Int32(row) }
            }
            if isOrdered() {
                return EventColumns(
                    offsets: offsets, rows: eventRows, times: times, sequences: sequences, fields: sealedFields)
            }
            let order = ordering(offsets: offsets)
            return EventColumns(
                offsets: offsets, rows: eventRows, times: order.map { times[$0] },
                sequences: order.map { sequences[$0] },
                fields: sealedFields.mapValues { column in
                    ValueColumn(values: column.values, codes: order.map { column.codes[$0] })
                })
        }

        /// Whether the events already come in (row, time, sequence) order.
        private func isOrdered() -> Bool {
            for index in rows.indices.dropFirst() {
                let previous = (rows[index - 1], times[index - 1], sequences[index - 1])
                if previous > (rows[index], times[index], sequences[index]) { return false }
            }
            return true
        }

        /// The positions of the events in (row, time, sequence) order: a counting sort by row, then
        /// a small sort inside each row.
        private func ordering(offsets: [UInt32]) -> [Int] {
            var next = offsets.dropLast().map { Int($0) }
            var order = [Int](repeating: 0, count: rows.count)
            for (position, row) in rows.enumerated() {
                order[next[Int(row)]] = position
                next[Int(row)] += 1
            }
            for row in 0..<(offsets.count - 1) where offsets[row + 1] - offsets[row] > 1 {
                let range = Int(offsets[row])..<Int(offsets[row + 1])
                order[range].sort { (times[$0], sequences[$0]) < (times[$1], sequences[$1]) }
            }
            return order
        }
    }
}
