#!/usr/bin/env python3
"""The audience benchmark's rules as SQL in DuckDB, over the data Tessera evaluated, as one JSON line.

`tessera-bench audiences PROFILES DIR` writes its synthetic profiles and events to DIR as little-endian
column files with `manifest.json` (value dictionaries, each audience's rule, SQL and Tessera's member
count). This script loads the same columns into DuckDB tables `profiles` and `events`, times the load
apart, runs every audience's SQL (a count of its members), and checks each count against Tessera's.

Usage: duckdb_audiences.py DIR [--threads N]
"""

import argparse
import json
import os
import time

import duckdb
import numpy as np
import pandas as pd


def decoded(directory, column):
    """A dictionary-encoded column (code 0: missing, code k: values[k - 1]) as a pandas column."""
    codes = np.fromfile(os.path.join(directory, column["file"]), dtype="<u4").astype(np.int64)
    values = column["values"]
    if values and all(isinstance(v, str) for v in values):
        return pd.Categorical.from_codes(codes - 1, categories=values)
    if values and all(isinstance(v, bool) for v in values):
        table = pd.array([None] + values, dtype="boolean")
        return table[codes]
    table = np.array([np.nan] + [float(v) for v in values])
    return table[codes]


def load(directory, manifest):
    started = time.perf_counter()
    profiles = {"row": np.arange(manifest["profiles"], dtype=np.int32)}
    for name, column in manifest["attributes"].items():
        profiles[name] = decoded(directory, column)
    for name, file in manifest["identities"].items():
        profiles[name] = np.fromfile(os.path.join(directory, file), dtype=np.uint8).astype(bool)
    answers = manifest["consent_answers"]
    for name, file in manifest["consent"].items():
        codes = np.fromfile(os.path.join(directory, file), dtype=np.uint8).astype(np.int64)
        profiles[name] = pd.Categorical.from_codes(codes, categories=answers)
    profiles = pd.DataFrame(profiles)
    frames = []
    for name, files in manifest["events"].items():
        rows = np.fromfile(os.path.join(directory, files["rows"]), dtype="<i4")
        frame = {
            "row": rows,
            "name": pd.Categorical.from_codes(np.zeros(len(rows), dtype=np.int64), categories=[name]),
            "time": np.fromfile(os.path.join(directory, files["times"]), dtype="<i8"),
            "seq": np.fromfile(os.path.join(directory, files["seqs"]), dtype="<i8"),
        }
        for field in ("device", "total", "sku", "path"):
            frame[field] = decoded(directory, files[field])
        frames.append(pd.DataFrame(frame))
    events = pd.concat(frames, ignore_index=True)
    for frame in ("device", "sku", "path", "name"):
        events[frame] = events[frame].astype(str).where(events[frame].notna(), None)
    for column in ("tier", "country", "consent_marketing_email", "consent_share"):
        profiles[column] = profiles[column].astype(object).where(profiles[column].notna(), None)
    decoded_at = time.perf_counter()
    connection = duckdb.connect()
    connection.execute("CREATE TABLE profiles AS SELECT * FROM profiles")
    connection.execute("CREATE TABLE events AS SELECT * FROM events")
    return connection, decoded_at - started, time.perf_counter() - decoded_at, len(events)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--threads", type=int, default=0)
    arguments = parser.parse_args()
    with open(os.path.join(arguments.directory, "manifest.json")) as file:
        manifest = json.load(file)
    connection, decode_seconds, load_seconds, event_count = load(arguments.directory, manifest)
    if arguments.threads:
        connection.execute(f"SET threads = {arguments.threads}")
    timings, mismatches = [], []
    for audience in manifest["audiences"]:
        started = time.perf_counter()
        count = connection.execute(f"SELECT count(*) FROM ({audience['sql']})").fetchone()[0]
        timings.append(time.perf_counter() - started)
        if count != audience["members"]:
            mismatches.append({"name": audience["name"], "rule": audience["rule"], "tessera": audience["members"],
                               "duckdb": count})
    ordered = sorted(timings)
    print(json.dumps({
        "duckdb_version": duckdb.__version__,
        "threads": connection.execute("SELECT current_setting('threads')").fetchone()[0],
        "profiles": manifest["profiles"], "events": event_count,
        "decode_seconds": decode_seconds, "load_seconds": load_seconds,
        "evaluate_all_seconds": sum(timings),
        "per_audience_p50_ms": ordered[len(ordered) // 2] * 1000, "per_audience_max_ms": ordered[-1] * 1000,
        "audiences": len(timings), "counts_agree": not mismatches, "mismatches": mismatches[:5],
    }))


if __name__ == "__main__":
    main()
