#!/usr/bin/env bash
# Bound requests under load: `GET /hello/` with a DPoP-bound access token and
# a fresh proof each time, beside bearer `/hello/` and `/livez`, ROUNDS times
# each, alternating (throughput on two shared cores drifts by ±15 %), then
# the ratios between the medians.
#
#   bench/dpop-load.sh       (after `cargo leptos build --release --split`)
#
# wrk's Lua cannot sign, so each bound round first has bench/dpop-proofs.mjs
# (npm `dpop`) log in with a new key and sign PROOFS proofs ahead; the proof
# window is widened to an hour for that (every proof is still accepted once
# only, so replay protection is measured as it runs).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
PROOFS=${PROOFS:-250000}
# The proofs' algorithm: ES256 (the web app's) or Ed25519.
PROOF_ALG=${PROOF_ALG:-ES256}
PORT=${PORT:-3210}
CONNECTIONS=${CONNECTIONS:-32}
source bench/server.sh
ensure_wrk
prepare_bench_server "$PORT"
export TESSERA_ACCESS_TOKEN_LIFETIME=1h TESSERA_DPOP_PROOF_WINDOW=1h
start_bench_server
access=$(bench_access_token)

cat >"$work/bound.lua" <<LUA
local next_id = 0
function setup(thread)
    thread:set("id", next_id)
    next_id = next_id + 1
end
function init(args)
    proofs = {}
    local n = 0
    for line in io.lines("$work/proofs") do
        if n % 2 == id then proofs[#proofs + 1] = line end
        n = n + 1
    end
    access = io.open("$work/access"):read("*l")
    used = 0
end
function request()
    used = used + 1
    return wrk.format("GET", "/hello/", {
        ["Authorization"] = "DPoP " .. access,
        ["DPoP"] = proofs[used] or "exhausted",
    })
end
LUA

# run NAME URL [wrk args…]: prints NAME_rps and remembers it.
run() {
    local name=$1 url=$2
    shift 2
    local out rps non2xx
    out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" "$url")
    rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
    non2xx=$(awk '/Non-2xx/ { print $5 }' <<<"$out")
    echo "${name}_rps $rps"
    echo "${name}_p99 $(awk '$1 == "99%" { print $2 }' <<<"$out")"
    [[ -z $non2xx ]] || echo "${name}_non2xx $non2xx (proofs exhausted? raise PROOFS)"
    echo "$rps" >"$work/last_rps"
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

livez=() bearer=() bound=()
for round in $(seq "$ROUNDS"); do
    node bench/dpop-proofs.mjs "$BASE" "$BENCH_USER" "$BENCH_PASSWORD" "$PROOFS" "$work" "$PROOF_ALG"
    run "livez_round$round" "$BASE/livez"
    livez+=("$(cat "$work/last_rps")")
    run "hello_bearer_round$round" "$BASE/hello/" -H "Authorization: Bearer $access"
    bearer+=("$(cat "$work/last_rps")")
    run "hello_bound_round$round" "$BASE/hello/" -s "$work/bound.lua"
    bound+=("$(cat "$work/last_rps")")
done
livez_rps=$(median "${livez[@]}")
bearer_rps=$(median "${bearer[@]}")
bound_rps=$(median "${bound[@]}")
echo "livez_c${CONNECTIONS}_rps $livez_rps"
echo "hello_bearer_c${CONNECTIONS}_rps $bearer_rps"
echo "hello_bound_c${CONNECTIONS}_rps $bound_rps"
ratio() { python3 -c "print(f'{$1 / $2:.3f}')"; }
echo "ratio_bound_over_bearer $(ratio "$bound_rps" "$bearer_rps")"
echo "ratio_bound_over_livez $(ratio "$bound_rps" "$livez_rps")"
