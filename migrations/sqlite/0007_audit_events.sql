-- The audit log (src/audit): security events, appended in the transaction
-- of the change each records. `minute` and `count` serve throttled attempts,
-- counted in one row per address and minute. Rows are never changed (but a
-- throttled row's count) nor deleted (but by the retention purge, which
-- holds a row of audit_purge_permit while it deletes).
CREATE TABLE audit_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         BIGINT  NOT NULL,
    kind       TEXT    NOT NULL,
    user_id    BIGINT,
    username   TEXT,
    actor_id   BIGINT,
    address    TEXT,
    device     TEXT,
    session_id TEXT,
    detail     TEXT,
    minute     BIGINT,
    count      BIGINT  NOT NULL DEFAULT 1
);
CREATE INDEX audit_events_user ON audit_events (user_id, id);
CREATE INDEX audit_events_kind ON audit_events (kind, id);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE UNIQUE INDEX audit_events_throttled ON audit_events (address, minute)
    WHERE kind = 'login_throttled';

CREATE TABLE audit_purge_permit (purging INTEGER NOT NULL);

CREATE TRIGGER audit_events_append_only_update BEFORE UPDATE ON audit_events
WHEN NOT (OLD.kind = 'login_throttled' AND NEW.count > OLD.count
    AND NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.kind = OLD.kind
    AND NEW.user_id IS OLD.user_id AND NEW.username IS OLD.username
    AND NEW.actor_id IS OLD.actor_id AND NEW.address IS OLD.address
    AND NEW.device IS OLD.device AND NEW.session_id IS OLD.session_id
    AND NEW.detail IS OLD.detail AND NEW.minute IS OLD.minute)
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_events_append_only_delete BEFORE DELETE ON audit_events
WHEN NOT EXISTS (SELECT 1 FROM audit_purge_permit)
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
