-- The audit log (src/audit): security events, appended in the transaction
-- of the change each records. `minute` and `count` serve throttled attempts,
-- counted in one row per address and minute. Rows are never changed (but a
-- throttled row's count) nor deleted (but by the retention purge, whose
-- transaction sets tessera.audit_purge), nor truncated.
CREATE TABLE audit_events (
    id         BIGSERIAL PRIMARY KEY,
    at         BIGINT NOT NULL,
    kind       TEXT   NOT NULL,
    user_id    BIGINT,
    username   TEXT,
    actor_id   BIGINT,
    address    TEXT,
    device     TEXT,
    session_id TEXT,
    detail     TEXT,
    minute     BIGINT,
    count      BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX audit_events_user ON audit_events (user_id, id);
CREATE INDEX audit_events_kind ON audit_events (kind, id);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE UNIQUE INDEX audit_events_throttled ON audit_events (address, minute)
    WHERE kind = 'login_throttled';

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF current_setting('tessera.audit_purge', true) = 'on' THEN
            RETURN OLD;
        END IF;
    ELSIF TG_OP = 'UPDATE' THEN
        IF OLD.kind = 'login_throttled' AND NEW.count > OLD.count
            AND (NEW.id, NEW.at, NEW.kind, NEW.user_id, NEW.username, NEW.actor_id, NEW.address,
                 NEW.device, NEW.session_id, NEW.detail, NEW.minute)
                IS NOT DISTINCT FROM
                (OLD.id, OLD.at, OLD.kind, OLD.user_id, OLD.username, OLD.actor_id, OLD.address,
                 OLD.device, OLD.session_id, OLD.detail, OLD.minute) THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
