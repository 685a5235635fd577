-- Verified addresses. `email` is the account's address and `email_verified`
-- whether its owner proved they read it (a link from a mail to it);
-- `email_pending` a new address waiting for that proof: it replaces `email`
-- only once verified, so a typo never loses the address that works.
ALTER TABLE users ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN email_pending TEXT NOT NULL DEFAULT '';
-- Addresses set before verification existed came from an operator, staff or
-- an import: trusted as they were, so that their password resets keep
-- working after the upgrade.
UPDATE users SET email_verified = TRUE WHERE email <> '';
-- "Send the link again" finds accounts by their waiting address too.
CREATE INDEX users_email_pending_search ON users (LOWER(email_pending));
