-- The change log is read by id (`Store::events_after`), never by time. For
-- that to be exact, ids must become visible in id order: a sequence hands
-- them out at insert, and a transaction that commits late would let a reader
-- see id 8 before id 7 exists for it, and skip 7 for good. So appends take a
-- lock held to commit: one appender at a time, ids committed in order. The
-- lock conflicts with itself and with other writers of the table, never with
-- readers; writes that append are revocations and new users, not the token
-- hot path.
CREATE FUNCTION tessera_append_event(p_user_id BIGINT, p_session_id TEXT, p_created_at BIGINT)
RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE auth_events IN SHARE ROW EXCLUSIVE MODE;
    INSERT INTO auth_events (user_id, session_id, created_at)
    VALUES (p_user_id, p_session_id, p_created_at);
END
$$;

-- Every serving instance LISTENs on tessera_events: PostgreSQL delivers the
-- notification when the appending transaction commits (and only if it
-- does), so instances read the new rows within milliseconds instead of at
-- their next poll. Notifications are a wake-up call, not the data: they are
-- lost while an instance is disconnected and coalesce within a transaction,
-- so the instance always reads everything after the last id it applied.
CREATE FUNCTION tessera_notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tessera_events', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER auth_events_notify AFTER INSERT ON auth_events
    FOR EACH STATEMENT EXECUTE FUNCTION tessera_notify_events();
