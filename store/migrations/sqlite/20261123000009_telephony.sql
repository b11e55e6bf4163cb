-- Twilio webhooks: the answer given to each (SID, step), so a retried
-- webhook gets the same answer and nothing is recorded twice.
CREATE TABLE webhook_answers (
    sid         TEXT NOT NULL,
    step        TEXT NOT NULL,
    answer      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (sid, step)
);

-- Telephone call legs: the caller's call and the physicians' page calls,
-- with the case each belongs to. Their status history is in the record.
CREATE TABLE calls (
    sid             TEXT PRIMARY KEY,
    role            TEXT NOT NULL,
    case_id         TEXT REFERENCES cases(id),
    person_id       TEXT,
    notification_id INTEGER,
    status          TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX calls_case ON calls (case_id);
