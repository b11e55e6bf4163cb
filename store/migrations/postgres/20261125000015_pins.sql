-- Phone PINs (argon2 hashes): caller id is not proof, so staff key a PIN
-- before any resident data is spoken. A person's own PIN, or one per home.
CREATE TABLE person_pins (
    person_id   TEXT PRIMARY KEY REFERENCES persons(id),
    hash        TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE TABLE home_pins (
    home_id     TEXT PRIMARY KEY REFERENCES homes(id),
    hash        TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
