-- Log-in throttling by source and account, with growing delays instead of
-- a lock-out (which a stranger could trigger against a named person).
DROP TABLE login_failures;
CREATE TABLE login_throttle (
    key             TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    next_allowed_at TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
-- Where each person has logged in from: those sources are not held back by
-- an attack on the account from elsewhere.
CREATE TABLE login_sources (
    person_id   TEXT NOT NULL REFERENCES persons(id),
    source      TEXT NOT NULL,
    last_ok_at  TEXT NOT NULL,
    PRIMARY KEY (person_id, source)
);
