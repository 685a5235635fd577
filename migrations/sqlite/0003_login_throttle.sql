-- Login throttling (src/throttle.rs): one counter per username and per client
-- address. `updated_at` lets old rows be flushed.
CREATE TABLE login_throttle (
    key          TEXT   PRIMARY KEY,
    failures     BIGINT NOT NULL DEFAULT 0,
    wait         BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT NOT NULL DEFAULT 0,
    window_start BIGINT NOT NULL DEFAULT 0,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX login_throttle_updated_at ON login_throttle (updated_at);
