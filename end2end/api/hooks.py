"""schemathesis hooks for scripts/api-fuzz.sh.

Generated credentials never match an account, so every generated login would
be a 401, and the stateful phase (which follows the document's links from a
login to refresh, verify and log out) would have no token to start from.
About half of the valid generated logins use the known user of
end2end/serve.sh instead; the others stay random, so failures and throttling
are exercised too, and those logins carry no generated DPoP proof (which
could never be valid). Invalid (negative) cases are left alone: they must fail.
"""

import os

import schemathesis

USER = os.environ.get("E2E_USER", "e2e")
PASSWORD = os.environ.get("E2E_PASSWORD", "e2e-password")


def is_positive(case):
    meta = getattr(case, "meta", None)
    if meta is None:
        return False
    mode = meta.generation.mode
    return getattr(mode, "value", mode) == "positive"


@schemathesis.hook
def map_case(ctx, case):
    operation = case.operation
    is_login = operation.method.upper() == "POST" and operation.path == "/api/token/"
    body = case.body
    if is_login and is_positive(case) and isinstance(body, dict):
        password = body.get("password")
        # Deterministic for a given seed: decided by the generated value.
        if isinstance(password, str) and len(password) % 2 == 0:
            case.body = {**body, "username": USER, "password": PASSWORD}
            # A generated DPoP proof is never a valid one (400): these
            # logins go without, so that the stateful phase has tokens.
            if case.headers:
                case.headers.pop("DPoP", None)
    return case
