-- Callbacks owed to citizens are found by their history events (`callback_due`, then
-- `callback_done` or `callback_failed`) when the phone switch starts.
CREATE INDEX case_events_kind ON case_events (kind, case_id);
