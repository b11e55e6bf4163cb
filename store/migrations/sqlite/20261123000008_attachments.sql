-- Recordings stored with a case (voice notes). Part of the record, so
-- append-only like it; the event that points at one is in case_events.
CREATE TABLE attachments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     TEXT NOT NULL REFERENCES cases(id),
    mime        TEXT NOT NULL,
    data        BLOB NOT NULL,
    sha256      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX attachments_case ON attachments (case_id);
CREATE TRIGGER attachments_append_only_update BEFORE UPDATE ON attachments
BEGIN SELECT RAISE(ABORT, 'attachments are append-only'); END;
CREATE TRIGGER attachments_append_only_delete BEFORE DELETE ON attachments
BEGIN SELECT RAISE(ABORT, 'attachments are append-only'); END;

-- A reaction to a page names the page's event id.
CREATE INDEX notifications_external_id ON notifications (external_id);

-- The bot's current question in a case thread: a numbered reaction counts
-- as an answer only on this one.
ALTER TABLE matrix_threads ADD COLUMN prompt_event TEXT;
