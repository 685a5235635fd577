-- Attempts of a username begun and not yet resolved (src/core/throttle.rs):
-- an attempt beyond the name's budget waits for them instead of being
-- refused, since a success among them frees the way.
ALTER TABLE login_throttle ADD COLUMN pending BIGINT NOT NULL DEFAULT 0;
