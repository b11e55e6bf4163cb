-- Escalation timers (one row per paged case) and the notification outbox.
CREATE TABLE escalations (
    case_id         TEXT PRIMARY KEY REFERENCES cases(id),
    urgency         TEXT NOT NULL,
    step            INTEGER NOT NULL CHECK (step >= 0),
    round           INTEGER NOT NULL CHECK (round >= 0),
    due_at          TIMESTAMPTZ NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'acknowledged', 'exhausted')),
    claimed_by      TEXT,
    claimed_until   TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX escalations_due ON escalations(due_at) WHERE state = 'pending';

CREATE TABLE notifications (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id         TEXT REFERENCES cases(id),
    person_id       TEXT NOT NULL REFERENCES persons(id),
    kind            TEXT NOT NULL,
    channel         TEXT NOT NULL,
    fallback        JSONB NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TIMESTAMPTZ NOT NULL,
    claimed_by      TEXT,
    claimed_until   TIMESTAMPTZ,
    last_error      TEXT,
    external_id     TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ
);
CREATE INDEX notifications_due ON notifications(next_attempt_at) WHERE status = 'pending';
CREATE INDEX notifications_case ON notifications(case_id);
