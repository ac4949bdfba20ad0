-- Open311 GeoReport v2 on SQLite: client API keys, service attributes (the extra fields a
-- category asks for), the attribute values of cases, and what an Open311 client sent beyond the
-- case itself. Timestamps are Unix milliseconds.

-- Only the SHA-256 of a key is kept; the key is shown once, when it is issued.
CREATE TABLE open311_keys (
    id INTEGER PRIMARY KEY,
    client_name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    -- The key's first characters, so that admins can tell keys apart.
    key_prefix TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_used_at BIGINT
);

-- datatype: string, number, datetime, text, singlevaluelist or multivaluelist.
-- position is the attribute's `order` in the service definition (ORDER is a keyword).
CREATE TABLE category_attributes (
    id INTEGER PRIMARY KEY,
    category_id BIGINT NOT NULL REFERENCES categories (id),
    code TEXT NOT NULL,
    datatype TEXT NOT NULL,
    variable BOOLEAN NOT NULL,
    required BOOLEAN NOT NULL,
    position BIGINT NOT NULL,
    description_bg TEXT NOT NULL,
    description_en TEXT NOT NULL,
    datatype_description_bg TEXT,
    datatype_description_en TEXT,
    updated_at BIGINT NOT NULL,
    UNIQUE (category_id, code),
    UNIQUE (category_id, position)
);

-- The options of a list attribute.
CREATE TABLE category_attribute_values (
    attribute_id BIGINT NOT NULL REFERENCES category_attributes (id) ON DELETE CASCADE,
    value_key TEXT NOT NULL,
    name_bg TEXT NOT NULL,
    name_en TEXT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (attribute_id, value_key)
);

-- The attribute values submitted with a case; a multivaluelist has one row per value.
CREATE TABLE case_attributes (
    case_id BIGINT NOT NULL REFERENCES cases (id),
    code TEXT NOT NULL,
    position BIGINT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (case_id, code, position)
);

-- A case that an Open311 client reported: which key, the request's token, and the fields that
-- have no place in `cases`. device_id and account_id identify a person: never shown in GET.
CREATE TABLE open311_requests (
    case_id BIGINT PRIMARY KEY REFERENCES cases (id),
    key_id BIGINT NOT NULL REFERENCES open311_keys (id),
    token TEXT NOT NULL UNIQUE,
    address_id TEXT,
    media_url TEXT,
    device_id TEXT,
    account_id TEXT,
    created_at BIGINT NOT NULL
);

-- When the service definitions last changed (discovery's changeset); one row, 'services'.
CREATE TABLE open311_changes (
    name TEXT PRIMARY KEY,
    changed_at BIGINT NOT NULL
);

CREATE INDEX cases_updated ON cases (updated_at);
