-- Users, login sessions (refresh-token families), refresh tokens and the
-- change log that keeps every server's in-memory view in step.
-- Timestamps are Unix seconds.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    is_active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    BIGINT  NOT NULL,
    last_login    BIGINT,
    -- Tokens issued up to this second are void (password change, deactivation).
    tokens_revoked_at BIGINT
);

-- One row per login: every refresh token it ever rotated into belongs to it.
CREATE TABLE sessions (
    id         TEXT   PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revoked_because TEXT
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE refresh_tokens (
    jti        TEXT   PRIMARY KEY,
    session_id TEXT   NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    parent     TEXT,
    issued_at  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    rotated_at BIGINT,
    successor  TEXT
);
CREATE INDEX refresh_tokens_session_id ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

-- Append-only: each write that changes who may authenticate adds a row; every
-- server process polls it, so a CLI change or another instance's logout
-- reaches all of them within a second or two.
CREATE TABLE auth_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    BIGINT,
    session_id TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX auth_events_created_at ON auth_events (created_at);
