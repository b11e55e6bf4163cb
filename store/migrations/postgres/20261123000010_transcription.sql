-- Voice notes waiting for speech recognition: a durable queue, so a restart
-- loses none. A row is written with its attachment, in one transaction; the
-- transcript (or the reason there is none) is a case event.
CREATE TABLE transcription_jobs (
    attachment_id BIGINT PRIMARY KEY REFERENCES attachments(id),
    case_id       TEXT NOT NULL REFERENCES cases(id),
    status        TEXT NOT NULL DEFAULT 'pending',
    attempts      INTEGER NOT NULL DEFAULT 0,
    due_at        TIMESTAMPTZ NOT NULL,
    claimed_by    TEXT,
    claimed_until TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL,
    done_at       TIMESTAMPTZ
);
CREATE INDEX transcription_jobs_due ON transcription_jobs (status, due_at);

-- Recordings stored before there was speech recognition are transcribed too.
INSERT INTO transcription_jobs (attachment_id, case_id, due_at, created_at)
SELECT id, case_id, created_at, created_at FROM attachments;
