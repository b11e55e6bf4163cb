-- Municipal alternatives to admission per home (issue 16): the acute team
-- and acute places, in the order the coordinator gave them.
CREATE TABLE municipal_alternatives (
    home_id     TEXT NOT NULL REFERENCES homes(id),
    position    INTEGER NOT NULL CHECK (position >= 0),
    kind        TEXT NOT NULL CHECK (kind IN ('acute_team', 'acute_places')),
    name        TEXT NOT NULL,
    phone       TEXT NOT NULL,
    hours       TEXT NOT NULL,
    services    TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (home_id, position)
);
