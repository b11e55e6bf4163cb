-- Recordings stored with a case (voice notes). Part of the record, so
-- append-only like it; the event that points at one is in case_events.
CREATE TABLE attachments (
    id          BIGSERIAL PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases(id),
    mime        TEXT NOT NULL,
    data        BYTEA NOT NULL,
    sha256      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX attachments_case ON attachments (case_id);
CREATE TRIGGER attachments_append_only BEFORE UPDATE OR DELETE ON attachments
    FOR EACH ROW EXECUTE FUNCTION akutlinje_append_only();

-- A reaction to a page names the page's event id.
CREATE INDEX notifications_external_id ON notifications (external_id);

-- The bot's current question in a case thread: a numbered reaction counts
-- as an answer only on this one.
ALTER TABLE matrix_threads ADD COLUMN prompt_event TEXT;
