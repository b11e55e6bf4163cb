-- A treatment decision is part of what the physician was shown: it is
-- never changed or deleted. A new import supersedes it; only superseded_at
-- may be set, and only once. (SQLite has no TRUNCATE; a DELETE without
-- WHERE fires the delete trigger.)
CREATE TRIGGER resident_decisions_append_only_delete BEFORE DELETE ON resident_decisions
BEGIN SELECT RAISE(ABORT, 'resident_decisions is append-only'); END;
CREATE TRIGGER resident_decisions_append_only_update BEFORE UPDATE ON resident_decisions
WHEN OLD.superseded_at IS NOT NULL
    OR NEW.superseded_at IS NULL
    OR NEW.id IS NOT OLD.id
    OR NEW.resident_id IS NOT OLD.resident_id
    OR NEW.kind IS NOT OLD.kind
    OR NEW.note IS NOT OLD.note
    OR NEW.recorded_by IS NOT OLD.recorded_by
    OR NEW.recorded_on IS NOT OLD.recorded_on
    OR NEW.created_at IS NOT OLD.created_at
BEGIN SELECT RAISE(ABORT, 'resident_decisions is append-only: only superseded_at may be set, once'); END;

-- Spoken resident cards in webhook answers are purged after a week.
CREATE INDEX webhook_answers_created ON webhook_answers (created_at);
CREATE INDEX web_sessions_expires ON web_sessions (expires_at);
