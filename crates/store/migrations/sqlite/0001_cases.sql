-- The case registry on SQLite. Timestamps are Unix milliseconds; dates are ISO text.
CREATE TABLE institutions (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name_bg TEXT NOT NULL,
    name_en TEXT NOT NULL,
    kind TEXT NOT NULL,
    connection TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    webhook_url TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE categories (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    parent_id BIGINT REFERENCES categories (id),
    name_bg TEXT NOT NULL,
    name_en TEXT NOT NULL,
    submission_kind TEXT NOT NULL,
    deadline_rule TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE category_institutions (
    category_id BIGINT NOT NULL REFERENCES categories (id),
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    PRIMARY KEY (category_id, institution_id)
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    institution_id BIGINT REFERENCES institutions (id),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE citizens (
    id INTEGER PRIMARY KEY,
    name TEXT,
    phone TEXT,
    email TEXT,
    consent_contact BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);
CREATE INDEX citizens_phone ON citizens (phone);

CREATE TABLE reference_counters (
    prefix TEXT NOT NULL,
    year BIGINT NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (prefix, year)
);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    category_id BIGINT NOT NULL REFERENCES categories (id),
    submission_kind TEXT NOT NULL,
    proceeding TEXT NOT NULL,
    description TEXT NOT NULL,
    search_text TEXT NOT NULL,
    address TEXT,
    district TEXT,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    citizen_id BIGINT REFERENCES citizens (id),
    status TEXT NOT NULL,
    received_on TEXT NOT NULL,
    tracking_code TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX cases_citizen ON cases (citizen_id);
CREATE INDEX cases_status ON cases (status, id);
CREATE INDEX cases_created ON cases (created_at);

CREATE TABLE assignments (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    status TEXT NOT NULL,
    deadline TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (case_id, institution_id)
);
CREATE INDEX assignments_institution ON assignments (institution_id, case_id);

CREATE TABLE case_events (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    institution_id BIGINT REFERENCES institutions (id),
    at BIGINT NOT NULL,
    actor_user_id BIGINT REFERENCES users (id),
    kind TEXT NOT NULL,
    public BOOLEAN NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX case_events_case ON case_events (case_id, id);

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    sha256 TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    public BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_case ON attachments (case_id);

-- History is append-only: the database refuses to change or delete it.
CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
BEGIN SELECT RAISE(ABORT, 'case history is append-only'); END;
CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events
BEGIN SELECT RAISE(ABORT, 'case history is append-only'); END;
