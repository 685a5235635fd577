#!/usr/bin/env python3
"""Login latency with and without a second step, on a running server.

Usage: bench/two-step-login.py BASE ROUNDS PASSWORD USER_PREFIX
(run by bench/two-step-login.sh, which starts the server and makes the users).

ROUNDS users sign in with the password alone (the baseline), then ROUNDS
other users, each with two-step sign-in turned on beforehand, sign in with
the password and a code from the step after the one that turned it on
(each code works once, so every timed login is a different user). Prints
the median and the 90th percentile of each, and their ratio.
"""
import base64
import hashlib
import hmac
import json
import struct
import sys
import time
import urllib.error
import urllib.request


def post(base, path, body, token=None):
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request) as reply:
            return reply.status, json.loads(reply.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def totp(secret, at):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def timed_login(base, body):
    started = time.perf_counter()
    status, _ = post(base, "/api/token/", body)
    elapsed = time.perf_counter() - started
    assert status == 200, (status, body["username"])
    return elapsed * 1000


def summary(name, samples):
    samples = sorted(samples)
    median = samples[len(samples) // 2]
    p90 = samples[int(len(samples) * 0.9) - 1]
    print(f"{name}_median_ms {median:.1f}")
    print(f"{name}_p90_ms {p90:.1f}")
    return median


def main():
    base, rounds, password, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    plain = [f"{prefix}{i}" for i in range(rounds)]
    guarded = [f"{prefix}{rounds + i}" for i in range(rounds)]
    secrets = {}
    for name in guarded:
        _, pair = post(base, "/api/token/", {"username": name, "password": password})
        _, setup = post(base, "/api/totp/setup/", {}, pair["access"])
        status, _ = post(base, "/api/totp/confirm/", {"code": totp(setup["secret"], time.time())}, pair["access"])
        assert status == 200, status
        secrets[name] = setup["secret"]
    baseline = [timed_login(base, {"username": n, "password": password}) for n in plain]
    with_code = [
        timed_login(base, {"username": n, "password": password, "otp": totp(secrets[n], time.time() + 30)})
        for n in guarded
    ]
    a = summary("login_password_only", baseline)
    b = summary("login_with_totp", with_code)
    print(f"login_totp_over_password_only {b / a:.2f}")


if __name__ == "__main__":
    main()
