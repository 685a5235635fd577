#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind: repeatable to a
# fraction of a percent whatever else the machine does, unlike req/s on two
# shared cores. Compares GET /livez, /livez with a Bearer header (the same
# bytes on the wire as hello) and GET /hello/ with a valid access token, over
# one keep-alive connection, N requests each (default 2000), after a warm-up.
#
#   bench/instructions.sh       (after `cargo leptos build --release --split`)
#
# Prints `NAME_instructions_per_request VALUE` lines and the ratio livez/hello.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-2000}
PORT=${PORT:-3300}
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
source bench/server.sh

prepare_bench_server "$PORT"
start_bench_server valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/profile"
access=$(bench_access_token)

# requests PATH COUNT [TOKEN]: COUNT keep-alive GETs, each answered 200.
requests() {
    python3 - "$PORT" "$@" <<'PY'
import socket, sys
port, path, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
auth = f"Authorization: Bearer {sys.argv[4]}\r\n" if len(sys.argv) > 4 else ""
request = f"GET {path} HTTP/1.1\r\nHost: bench\r\n{auth}\r\n".encode()
connection, pending = socket.create_connection(("127.0.0.1", port)), b""
for _ in range(count):
    connection.sendall(request)
    while True:
        end = pending.find(b"\r\n\r\n")
        if end >= 0:
            head = pending[:end].decode().lower()
            length = int(head.split("content-length:")[1].split("\r\n")[0])
            if len(pending) >= end + 4 + length:
                assert head.startswith("http/1.1 200"), head
                pending = pending[end + 4 + length:]
                break
        pending += connection.recv(65536)
PY
}

requests /hello/ 200 "$access"   # warm-up: caches, allocator, first-call paths
callgrind_control -i on >/dev/null 2>&1
measure() {
    local name=$1
    shift
    callgrind_control -z >/dev/null 2>&1
    requests "$@"
    callgrind_control -d "$name" >/dev/null 2>&1
    local total
    total=$(awk '/^totals:/ { print $2 }' "$(ls -t "$work"/profile.* | head -1)")
    echo "${name}_instructions_per_request $((total / N))"
    eval "$name=$((total / N))"
}
measure livez /livez "$N"
measure livez_bearer /livez "$N" "$access"
measure hello /hello/ "$N" "$access"
awk -v l="$livez" -v h="$hello" -v b="$livez_bearer" 'BEGIN {
    printf "ratio_livez_over_hello %.3f\nratio_livez_bearer_over_hello %.3f\n", l / h, b / h }'
