-- Escalation timers (one row per paged case) and the notification outbox.
CREATE TABLE escalations (
    case_id         TEXT PRIMARY KEY REFERENCES cases(id),
    urgency         TEXT NOT NULL,
    step            INTEGER NOT NULL CHECK (step >= 0),
    round           INTEGER NOT NULL CHECK (round >= 0),
    due_at          TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'acknowledged', 'exhausted')),
    claimed_by      TEXT,
    claimed_until   TEXT,
    updated_at      TEXT NOT NULL
);
CREATE INDEX escalations_due ON escalations(due_at) WHERE state = 'pending';

CREATE TABLE notifications (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id         TEXT REFERENCES cases(id),
    person_id       TEXT NOT NULL REFERENCES persons(id),
    kind            TEXT NOT NULL,
    channel         TEXT NOT NULL,
    fallback        TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TEXT NOT NULL,
    claimed_by      TEXT,
    claimed_until   TEXT,
    last_error      TEXT,
    external_id     TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX notifications_due ON notifications(next_attempt_at) WHERE status = 'pending';
CREATE INDEX notifications_case ON notifications(case_id);
