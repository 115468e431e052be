#!/bin/sh
# `make bench`: collection throughput and latency with wrk on loopback, durable acks on, beside the
# same server storing nothing (the HTTP + decode ceiling) and in-process decode rates, all in one run.
# Results: Benchmarks/results/<date>.json and a summary on stdout. Seconds per wrk run: BENCH_SECONDS.
set -eu
cd "$(dirname "$0")/.."

SECONDS_PER_RUN=${BENCH_SECONDS:-10}
BINARY=${TESSERA_BINARY:-.build/release/tessera}
BENCH_BINARY=${TESSERA_BENCH_BINARY:-.build/release/tessera-bench}
RESULTS=Benchmarks/results
mkdir -p "$RESULTS"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
token=adm_bench
data=""
pid=""

start_server() {
    data=$(mktemp -d /tmp/tessera-bench-XXXXXX)
    TESSERA_ADMIN_TOKEN=$token "$BINARY" serve --data "$data" --listen "127.0.0.1:$port" "$@" \
        >"$data/server.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 200); do
        curl -sf "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    echo "server did not start" >&2
    exit 1
}

stop_server() {
    kill -TERM "$pid"
    wait "$pid" || true
    rm -rf "$data"
}

# wrk NAME PATH CONNECTIONS: one run; the Lua script writes its summary as JSON.
run_wrk() {
    auth="Basic $(printf '%s:' "$(cat "$data/default-write-key")" | base64 -w0)"
    TESSERA_AUTH="$auth" TESSERA_PATH="$2" TESSERA_BATCH=100 TESSERA_RESULT="$RESULTS/$1.json" \
        wrk -t1 -c"$3" -d"${SECONDS_PER_RUN}s" --timeout 10s -s Benchmarks/wrk/collect.lua \
        "http://127.0.0.1:$port" >/dev/null
    echo "$1: $(cat "$RESULTS/$1.json")"
}

stored_records() {
    curl -s "http://127.0.0.1:$port/metrics" | awk '/^tessera_records_accepted_total/ {sum += $2} END {print sum + 0}'
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)," \
    "$(lscpu | sed -n 's/^Model name: *//p')"

start_server
run_wrk durable-batch /v1/batch 16
run_wrk durable-single /v1/track 64
echo "durable: $(stored_records) records stored and acknowledged, identity and profiles on"
stop_server

start_server --without-profiles
run_wrk collection-only-batch /v1/batch 16
stop_server

start_server --discard-records
run_wrk discard-batch /v1/batch 16
run_wrk discard-single /v1/track 64
stop_server

"$BENCH_BINARY" decode 2000 >"$RESULTS/decode.json"
echo "decode: $(cat "$RESULTS/decode.json")"

# The in-memory identity core on random links, and connected components of the same edge list
# with python-igraph and networkx (references), in the same run.
LINKS=${BENCH_LINKS:-1000000}
edges=$(mktemp /tmp/tessera-edges-XXXXXX)
"$BENCH_BINARY" identity "$LINKS" "$LINKS" "$edges" >"$RESULTS/identity.json"
echo "identity: $(cat "$RESULTS/identity.json")"
${PYTHON:-python3} Benchmarks/identity/components.py "$edges" --nodes "$LINKS" >"$RESULTS/components.json"
echo "components: $(cat "$RESULTS/components.json")"
rm -f "$edges"

${PYTHON:-python3} - "$RESULTS" <<'PY'
import json, sys, os
results = sys.argv[1]
load = lambda name: json.load(open(os.path.join(results, name + ".json")))
print()
print("| run | records/s | requests/s | p50 ms | p99 ms | failures |")
print("|---|---:|---:|---:|---:|---:|")
for name in ["durable-batch", "collection-only-batch", "discard-batch", "durable-single", "discard-single"]:
    r = load(name)
    print(f"| {name} | {r['requests_per_second'] * r['records_per_request']:,.0f} | {r['requests_per_second']:,.0f} "
          f"| {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['failures']} |")
ratio = load("durable-batch")["requests_per_second"] / load("collection-only-batch")["requests_per_second"]
print(f"\nidentity and profiles on / collection only: {ratio:.2f}")
d = load("decode")
print()
i, c = load("identity"), load("components")
print(f"identity core, {i['links']:,} random links: observe {i['graph_links_per_s']:,.0f} links/s, "
      f"union-find alone {i['union_find_links_per_s']:,.0f}/s; igraph build+components "
      f"{c['igraph_links_per_s']:,.0f}/s, networkx {c.get('networkx_links_per_s', 0):,.0f}/s; "
      f"profiles match components: {i['profiles_match_components'] and i['components'] == c['igraph_components']}")
print(f"decode of {d['body_bytes']:,}-byte /v1/batch bodies: JSONSerialization {d['foundation_mb_per_s']:.0f} MB/s "
      f"({d['foundation_events_per_s']:,.0f} events/s), simdjson tape {d['simdjson_tape_mb_per_s']:.0f} MB/s, "
      f"full Segment decode {d['segment_decode_mb_per_s']:.0f} MB/s ({d['segment_decode_events_per_s']:,.0f} events/s)")
PY
