-- Mail waiting to be delivered. A row is written in the transaction of the
-- change that causes the mail, claimed by one sender at a time (its
-- next_attempt_at moves past the claim's lease), deleted once the SMTP
-- server accepted it, and rescheduled with a growing wait when it did not.
CREATE TABLE mail_outbox (
    id              BIGSERIAL PRIMARY KEY,
    message_id      TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    body_text       TEXT    NOT NULL,
    body_html       TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    next_attempt_at BIGINT  NOT NULL,
    attempts        BIGINT  NOT NULL DEFAULT 0,
    last_error      TEXT,
    -- The server refused it for good (5xx): still kept, retried rarely,
    -- and counted apart in the metrics for an operator to look at.
    refused         BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at);
