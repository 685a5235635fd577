-- Signing keys (src/keys): one row per key, in rotation order (a generation
-- is taken once: two concurrent rotations cannot both add one). HMAC keys keep
-- only their id (the material is the configured secret); asymmetric keys keep
-- their public JWK and their private key sealed under the secret.
CREATE TABLE signing_keys (
    generation         BIGINT  PRIMARY KEY,
    kid                TEXT    NOT NULL,
    algorithm          TEXT    NOT NULL,
    public_jwk         TEXT,
    sealed_private_key BYTEA,
    created_at         BIGINT  NOT NULL,
    signs_from         BIGINT  NOT NULL,
    retired_at         BIGINT
);
