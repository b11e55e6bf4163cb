-- On-call rotas. Configuration, not clinical record: rows may be edited and removed.
CREATE TABLE services (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL CHECK (length(name) > 0),
    tiers       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE rotations (
    id              TEXT PRIMARY KEY,
    service_id      TEXT NOT NULL REFERENCES services(id),
    tier            TEXT NOT NULL,
    layer           INTEGER NOT NULL CHECK (layer >= 0),
    members         TEXT NOT NULL,
    shift_start     TEXT NOT NULL,
    shift_minutes   INTEGER NOT NULL CHECK (shift_minutes > 0),
    anchor          TEXT NOT NULL,
    until           TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX rotations_service ON rotations(service_id);

CREATE TABLE rota_overrides (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id  TEXT NOT NULL REFERENCES services(id),
    tier        TEXT NOT NULL,
    person_id   TEXT NOT NULL REFERENCES persons(id),
    replaces    TEXT REFERENCES persons(id),
    from_at     TEXT NOT NULL,
    to_at       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    CHECK (to_at > from_at)
);
CREATE INDEX rota_overrides_service ON rota_overrides(service_id, to_at);

CREATE TABLE rota_swaps (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    rotation_id TEXT NOT NULL REFERENCES rotations(id) ON DELETE CASCADE,
    person_a    TEXT NOT NULL REFERENCES persons(id),
    shift_a     TEXT NOT NULL,
    person_b    TEXT NOT NULL REFERENCES persons(id),
    shift_b     TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
