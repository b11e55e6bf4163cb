-- akutlinje schema, SQLite. The case record and the access log are append-only:
-- triggers refuse UPDATE and DELETE, so not even a bug can rewrite history.

CREATE TABLE homes (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL CHECK (length(name) > 0),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE persons (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL CHECK (length(name) > 0),
    role        TEXT NOT NULL CHECK (role IN ('staff', 'physician', 'coordinator', 'admin')),
    home_id     TEXT REFERENCES homes(id),
    phone       TEXT,
    matrix_user TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    CHECK (role <> 'staff' OR home_id IS NOT NULL)
);
CREATE UNIQUE INDEX persons_phone ON persons(phone) WHERE phone IS NOT NULL;
CREATE UNIQUE INDEX persons_matrix_user ON persons(matrix_user) WHERE matrix_user IS NOT NULL;

CREATE TABLE api_tokens (
    token_hash  TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL REFERENCES persons(id),
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX api_tokens_person ON api_tokens(person_id);

CREATE TABLE residents (
    id                  TEXT PRIMARY KEY,
    home_id             TEXT NOT NULL REFERENCES homes(id),
    room                TEXT NOT NULL CHECK (length(room) > 0),
    name                TEXT NOT NULL CHECK (length(name) > 0),
    name_search         TEXT NOT NULL,
    born                TEXT,
    baseline_cognition  TEXT NOT NULL,
    spo2_scale2         INTEGER NOT NULL DEFAULT 0,
    details             TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    UNIQUE (home_id, room)
);
CREATE INDEX residents_room ON residents(room);

CREATE TABLE resident_decisions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    resident_id     TEXT NOT NULL REFERENCES residents(id),
    kind            TEXT NOT NULL,
    note            TEXT,
    recorded_by     TEXT NOT NULL,
    recorded_on     TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    superseded_at   TEXT
);
CREATE INDEX resident_decisions_current ON resident_decisions(resident_id) WHERE superseded_at IS NULL;

CREATE TABLE access_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    person_id   TEXT,
    resident_id TEXT NOT NULL,
    case_id     TEXT,
    action      TEXT NOT NULL CHECK (action IN ('read', 'denied'))
);
CREATE INDEX access_log_resident ON access_log(resident_id, at);

CREATE TABLE cases (
    id          TEXT PRIMARY KEY,
    home_id     TEXT NOT NULL REFERENCES homes(id),
    opened_at   TEXT NOT NULL,
    opened_by   TEXT,
    channel     TEXT NOT NULL,
    resident_id TEXT,
    urgency     TEXT,
    status      TEXT NOT NULL,
    state       TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 0 CHECK (version >= 0),
    updated_at  TEXT NOT NULL
);
CREATE INDEX cases_home ON cases(home_id, opened_at);

CREATE TABLE case_events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id         TEXT NOT NULL REFERENCES cases(id),
    at              TEXT NOT NULL,
    author_person   TEXT,
    author_role     TEXT,
    channel         TEXT NOT NULL,
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    corrects        INTEGER REFERENCES case_events(seq),
    external_id     TEXT,
    UNIQUE (case_id, external_id)
);
CREATE INDEX case_events_case ON case_events(case_id, seq);

CREATE TRIGGER case_events_append_only_update BEFORE UPDATE ON case_events
BEGIN SELECT RAISE(ABORT, 'the case record is append-only'); END;
CREATE TRIGGER case_events_append_only_delete BEFORE DELETE ON case_events
BEGIN SELECT RAISE(ABORT, 'the case record is append-only'); END;
CREATE TRIGGER access_log_append_only_update BEFORE UPDATE ON access_log
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
CREATE TRIGGER access_log_append_only_delete BEFORE DELETE ON access_log
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
