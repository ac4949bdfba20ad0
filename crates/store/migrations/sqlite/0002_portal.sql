-- The citizens' portal and durable notifications, on SQLite. Timestamps are Unix milliseconds.

-- The language a citizen chose on the portal; notifications about the case use it.
CREATE TABLE case_languages (
    case_id BIGINT PRIMARY KEY REFERENCES cases (id),
    lang TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- One row per message to send: a public case event on one channel, sent at most once.
-- status: pending (to send, possibly leased), sent, failed (gave up), skipped (no recipient).
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    event_id BIGINT NOT NULL REFERENCES case_events (id),
    case_id BIGINT NOT NULL REFERENCES cases (id),
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    UNIQUE (event_id, channel)
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

-- How far the enqueuer has read the case history.
CREATE TABLE outbox_cursor (
    name TEXT PRIMARY KEY,
    last_event_id BIGINT NOT NULL
);
-- Existing history is not announced again after an upgrade.
INSERT INTO outbox_cursor (name, last_event_id) SELECT 'case_events', COALESCE(MAX(id), 0) FROM case_events;

CREATE INDEX case_events_at ON case_events (at);
