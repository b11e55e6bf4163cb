-- iCalendar feeds: an unguessable token (only its hash is kept) per person or service.
CREATE TABLE calendar_feeds (
    token_hash  TEXT PRIMARY KEY,
    person_id   TEXT REFERENCES persons(id),
    service_id  TEXT REFERENCES services(id),
    created_at  TEXT NOT NULL,
    revoked_at  TEXT,
    CHECK ((person_id IS NULL) <> (service_id IS NULL))
);
