-- Web log-in: password hashes (argon2, made by the caller), sessions (only a
-- hash of the cookie is stored) and lock-out after repeated failures.
CREATE TABLE person_passwords (
    person_id   TEXT PRIMARY KEY REFERENCES persons(id),
    hash        TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE web_sessions (
    id_hash     TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL REFERENCES persons(id),
    csrf        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX web_sessions_person ON web_sessions(person_id);

CREATE TABLE login_failures (
    person_id       TEXT PRIMARY KEY REFERENCES persons(id),
    failures        INTEGER NOT NULL,
    locked_until    TEXT,
    updated_at      TEXT NOT NULL
);
