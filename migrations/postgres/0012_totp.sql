-- Two-step sign-in with an authenticator app (TOTP, RFC 6238). One row per
-- user who set it up: `sealed_secret` is the shared secret sealed with a key
-- derived from the server secret and bound to the user id (a database copy
-- alone computes no code); `confirmed_at` is NULL until a first code proved
-- the app holds the secret, and only then is a code asked at login.
-- `last_step` is the last time step whose code was accepted: a code is
-- accepted only for a later step, in one conditional UPDATE, so a code works
-- once however many instances see it at the same moment.
CREATE TABLE user_totp (
    user_id       BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    sealed_secret BYTEA NOT NULL,
    created_at    BIGINT NOT NULL,
    confirmed_at  BIGINT,
    last_step     BIGINT NOT NULL DEFAULT 0
);
-- The recovery codes given when TOTP was turned on, each usable once:
-- SHA-256 of the normalised code (the codes are random, 50 bits each, so a
-- fast hash suffices), deleted when used.
CREATE TABLE totp_recovery_codes (
    user_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);
