-- Django's first_name, last_name and email (the address a password reset
-- goes to), stored as given. Staff find users by the start of their name or
-- address in any case: a prefix is a range of these indexes.
ALTER TABLE users ADD COLUMN first_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN last_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';
CREATE INDEX users_username_search ON users (LOWER(username));
CREATE INDEX users_email_search ON users (LOWER(email));
