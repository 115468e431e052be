extension GraphState {
    /// Starts a graph operation (an observation, an unlink, a removal): a new observation number,
    /// no entries yet, and a provenance registered only if something is logged or linked.
    mutating func beginOperation(_ provenance: Provenance) {
        observationCount += 1
        pending = []
        operationProvenance = provenance
        operationProvenanceIndex = -1
    }

    /// The index of the current operation's provenance, registered on first use.
    mutating func currentProvenanceIndex() -> Int32 {
        if operationProvenanceIndex < 0 {
            operationProvenanceIndex = provenances.append(operationProvenance)
        }
        return operationProvenanceIndex
    }

    /// Appends an entry for the current operation (while replaying, the replayed entry is kept instead).
    mutating func record(_ change: LogEntry.Change) {
        guard !replaying else { return }
        entrySequence += 1
        _ = currentProvenanceIndex()
        let entry = LogEntry(
            sequence: entrySequence, observation: observationCount, change: change, provenance: operationProvenance)
        if pending.isEmpty { pending.reserveCapacity(4) }
        pending.append(entry)
        if retainsLog { retained.append(entry) }
    }
}
