-- Staff and superusers, as Django's auth.User has them: staff administer
-- users (the admin API and console); only a superuser makes or unmakes staff.
ALTER TABLE users ADD COLUMN is_staff BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN is_superuser BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX users_staff ON users (id) WHERE is_staff;
