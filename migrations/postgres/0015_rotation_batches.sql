-- Refresh-token rotation in batches: one call, one transaction, one commit
-- for every rotation the server gathered (Store::rotate_refresh_tokens).
--
-- A loop of single-row statements rather than one statement over the
-- arrays: each lookup is by primary key, so its plan, cached by PL/pgSQL,
-- stays an index scan however the table grows. (A set-based statement's
-- cached plan was made while the table was small and turned into scans of
-- it: 1.2 ms of the database's CPU per rotation.)
--
-- The caller sorts the batch by jti, so concurrent batches lock shared rows
-- in one order and queue instead of deadlocking; a row updated meanwhile is
-- re-checked (`rotated_at IS NULL`), so one rotation of a token wins. A jti
-- named twice rotates at most once: the second sees the first's update.
CREATE FUNCTION rotate_refresh_tokens(at_time BIGINT, lifetime BIGINT, jtis TEXT[], successors TEXT[])
RETURNS TABLE (parent TEXT, session_id TEXT, user_id BIGINT, issued_at BIGINT, expires_at BIGINT,
               session_expires_at BIGINT)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    FOR i IN 1 .. coalesce(array_length(jtis, 1), 0) LOOP
        RETURN QUERY
        WITH consumed AS (
            UPDATE refresh_tokens t SET rotated_at = at_time, successor = successors[i]
            FROM sessions s
            WHERE t.jti = jtis[i] AND t.rotated_at IS NULL AND t.expires_at > at_time
            AND s.id = t.session_id AND s.revoked_at IS NULL AND s.expires_at > at_time
            RETURNING t.session_id, s.user_id, s.expires_at AS session_expires_at)
        INSERT INTO refresh_tokens AS n (jti, session_id, parent, issued_at, expires_at)
        SELECT successors[i], c.session_id, jtis[i], at_time, LEAST(at_time + lifetime, c.session_expires_at)
        FROM consumed c
        RETURNING n.parent, n.session_id, (SELECT c.user_id FROM consumed c), n.issued_at,
                  n.expires_at, (SELECT c.session_expires_at FROM consumed c);
    END LOOP;
END
$$;
