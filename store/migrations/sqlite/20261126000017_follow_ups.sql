-- Follow-ups after the advice (issue 16): the read-back of the physician's
-- advice and re-measure orders, one row per case and kind, on durable
-- timers claimed like escalation steps.
CREATE TABLE follow_ups (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id         TEXT NOT NULL REFERENCES cases(id),
    kind            TEXT NOT NULL CHECK (kind IN ('readback', 'remeasure')),
    stage           INTEGER NOT NULL CHECK (stage >= 0),
    due_at          TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'done')),
    started_at      TEXT NOT NULL,
    person_id       TEXT,
    claimed_by      TEXT,
    claimed_until   TEXT,
    updated_at      TEXT NOT NULL,
    UNIQUE (case_id, kind)
);
CREATE INDEX follow_ups_due ON follow_ups(due_at) WHERE state = 'pending';
