-- DPoP proofs seen (RFC 9449 §11.1): each proof is accepted once, on any
-- instance. `id` is a hash of the client key's thumbprint and the proof's
-- jti; a row is kept until the proof is too old to be accepted anyway
-- (`expires_at`), then purged by the hourly flush.
CREATE TABLE dpop_proofs (
    id         TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX dpop_proofs_by_expiry ON dpop_proofs (expires_at);
