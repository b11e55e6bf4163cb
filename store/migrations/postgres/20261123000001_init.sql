-- akutlinje schema, PostgreSQL. The case record and the access log are
-- append-only: triggers refuse UPDATE and DELETE.

CREATE TABLE homes (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL CHECK (length(name) > 0),
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE persons (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL CHECK (length(name) > 0),
    role        TEXT NOT NULL CHECK (role IN ('staff', 'physician', 'coordinator', 'admin')),
    home_id     TEXT REFERENCES homes(id),
    phone       TEXT,
    matrix_user TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    CHECK (role <> 'staff' OR home_id IS NOT NULL)
);
CREATE UNIQUE INDEX persons_phone ON persons(phone) WHERE phone IS NOT NULL;
CREATE UNIQUE INDEX persons_matrix_user ON persons(matrix_user) WHERE matrix_user IS NOT NULL;

CREATE TABLE api_tokens (
    token_hash  TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL REFERENCES persons(id),
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);
CREATE INDEX api_tokens_person ON api_tokens(person_id);

CREATE TABLE residents (
    id                  TEXT PRIMARY KEY,
    home_id             TEXT NOT NULL REFERENCES homes(id),
    room                TEXT NOT NULL CHECK (length(room) > 0),
    name                TEXT NOT NULL CHECK (length(name) > 0),
    name_search         TEXT NOT NULL,
    born                DATE,
    baseline_cognition  TEXT NOT NULL,
    spo2_scale2         BOOLEAN NOT NULL DEFAULT FALSE,
    details             JSONB NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    UNIQUE (home_id, room)
);
CREATE INDEX residents_room ON residents(room);

CREATE TABLE resident_decisions (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resident_id     TEXT NOT NULL REFERENCES residents(id),
    kind            TEXT NOT NULL,
    note            TEXT,
    recorded_by     TEXT NOT NULL,
    recorded_on     DATE NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    superseded_at   TIMESTAMPTZ
);
CREATE INDEX resident_decisions_current ON resident_decisions(resident_id) WHERE superseded_at IS NULL;

CREATE TABLE access_log (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    person_id   TEXT,
    resident_id TEXT NOT NULL,
    case_id     TEXT,
    action      TEXT NOT NULL CHECK (action IN ('read', 'denied'))
);
CREATE INDEX access_log_resident ON access_log(resident_id, at);

CREATE TABLE cases (
    id          TEXT PRIMARY KEY,
    home_id     TEXT NOT NULL REFERENCES homes(id),
    opened_at   TIMESTAMPTZ NOT NULL,
    opened_by   TEXT,
    channel     TEXT NOT NULL,
    resident_id TEXT,
    urgency     TEXT,
    status      TEXT NOT NULL,
    state       JSONB NOT NULL,
    version     BIGINT NOT NULL DEFAULT 0 CHECK (version >= 0),
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX cases_home ON cases(home_id, opened_at);

CREATE TABLE case_events (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id         TEXT NOT NULL REFERENCES cases(id),
    at              TIMESTAMPTZ NOT NULL,
    author_person   TEXT,
    author_role     TEXT,
    channel         TEXT NOT NULL,
    kind            TEXT NOT NULL,
    payload         JSONB NOT NULL,
    corrects        BIGINT REFERENCES case_events(seq),
    external_id     TEXT,
    UNIQUE (case_id, external_id)
);
CREATE INDEX case_events_case ON case_events(case_id, seq);

CREATE FUNCTION akutlinje_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events
    FOR EACH ROW EXECUTE FUNCTION akutlinje_append_only();
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION akutlinje_append_only();
