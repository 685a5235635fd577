"""How long a logout on one instance takes to be refused on another.

    python3 bench/propagation.py A_BASE B_BASE TRIALS LOGIN_JSON

TRIALS times: log in on A, wait until B accepts the access token, log out on
A, then ask B every 2 ms until it answers 401. Prints `propagation_median_ms`,
`propagation_p90_ms` and `propagation_worst_ms`, counted from sending the
logout. Used by bench/propagation.sh and bench/growth.sh.
"""
import json
import sys
import time
import urllib.error
import urllib.request

a, b, trials, login = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]

def post(base, path, body):
    request = urllib.request.Request(base + path, data=body.encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)

def hello(base, access):
    request = urllib.request.Request(base + "/hello/", headers={"Authorization": "Bearer " + access})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code

delays = []
for _ in range(trials):
    pair = post(a, "/api/token/", login)
    while hello(b, pair["access"]) != 200:
        time.sleep(0.002)
    started = time.perf_counter()
    post(a, "/api/token/blacklist/", json.dumps({"refresh": pair["refresh"]}))
    while hello(b, pair["access"]) != 401:
        time.sleep(0.002)
    delays.append((time.perf_counter() - started) * 1000)
delays.sort()
print(f"propagation_median_ms {delays[len(delays) // 2]:.1f}")
print(f"propagation_p90_ms {delays[int(len(delays) * 0.9)]:.1f}")
print(f"propagation_worst_ms {delays[-1]:.1f}")
