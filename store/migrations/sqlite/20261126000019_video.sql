-- Personal video links (issue 16): a token per person and case, pointing at
-- the case's video room; opening one is recorded before the redirect.
CREATE TABLE video_links (
    token       TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases(id),
    person_id   TEXT,
    room        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX video_links_case ON video_links(case_id);
