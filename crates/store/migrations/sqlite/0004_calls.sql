-- Call detail records from the phone switch: one row per call (the caller's leg) and one per
-- leg to an agent's phone. Times are Unix milliseconds. `caller` is personal data.
CREATE TABLE calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    call_ref TEXT NOT NULL,
    leg TEXT NOT NULL CHECK (leg IN ('caller', 'agent')),
    agent TEXT,
    caller TEXT,
    queue TEXT,
    started_at BIGINT NOT NULL,
    answered_at BIGINT,
    ended_at BIGINT NOT NULL,
    wait_ms BIGINT NOT NULL,
    talk_ms BIGINT NOT NULL,
    outcome TEXT NOT NULL
);
CREATE INDEX calls_started_at ON calls (started_at);
CREATE INDEX calls_call_ref ON calls (call_ref);
