-- Where a session was started, for the person who owns it (GET /api/sessions/):
-- a device label made from the User-Agent at login ("Firefox on Linux"; the
-- raw header is not kept) and the client address at login.
ALTER TABLE sessions ADD COLUMN device TEXT;
ALTER TABLE sessions ADD COLUMN client_address TEXT;
