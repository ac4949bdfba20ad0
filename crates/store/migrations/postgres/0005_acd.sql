-- The ACD's append-only event log, written by the server from the phone switch. One run is one
-- start of the switch: its queue names in ACD queue-id order (a JSON array) let statistics map
-- the ids of every run to names. Times are Unix milliseconds; `body` is the acd crate's text
-- encoding (acd::codec) and holds no personal data.
CREATE TABLE acd_runs (
    started_at BIGINT PRIMARY KEY,
    queues TEXT NOT NULL
);
CREATE TABLE acd_log (
    id BIGSERIAL PRIMARY KEY,
    run_started_at BIGINT NOT NULL REFERENCES acd_runs (started_at),
    at BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('in', 'timeout', 'out', 'fact')),
    queue TEXT,
    body TEXT NOT NULL
);
CREATE INDEX acd_log_at ON acd_log (at);
