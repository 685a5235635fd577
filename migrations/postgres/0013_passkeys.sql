-- Passkeys (WebAuthn). Each user who registers one gets a random user handle:
-- the authenticator stores it with the credential and hands it back at a
-- username-less sign-in, so it identifies the account without being its id or
-- name (the WebAuthn specification asks that it reveal nothing).
CREATE TABLE passkey_user_handles (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    handle  TEXT NOT NULL UNIQUE
);
-- A registered passkey: `id` is the random id the API shows; `credential_id`
-- the authenticator's (base64url), unique across accounts; `credential` the
-- relying-party library's record (public key, flags) as JSON. `sign_count` is
-- kept beside it so that accepting a sign-in is one conditional UPDATE: a
-- count that does not go up (a cloned authenticator, or a race) is refused.
CREATE TABLE passkeys (
    id            TEXT PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    credential    TEXT NOT NULL,
    sign_count    BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT
);
CREATE INDEX passkeys_by_user ON passkeys (user_id);
-- A registration or sign-in under way: the challenge and what the library
-- needs to check the answer, kept here (not in the browser) so that any
-- instance finishes it, and deleted by the statement that reads it, so it
-- finishes once. `client_key` caps how many one address may hold open.
CREATE TABLE passkey_ceremonies (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    user_id    BIGINT REFERENCES users (id) ON DELETE CASCADE,
    state      TEXT NOT NULL,
    client_key TEXT,
    expires_at BIGINT NOT NULL
);
CREATE INDEX passkey_ceremonies_by_expiry ON passkey_ceremonies (expires_at);
CREATE INDEX passkey_ceremonies_by_client ON passkey_ceremonies (client_key);
