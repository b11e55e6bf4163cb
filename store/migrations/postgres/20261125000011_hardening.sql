-- The record cannot be emptied in one statement either: TRUNCATE does not
-- fire row triggers, so each append-only table refuses it separately (a
-- TRUNCATE ... CASCADE from cases reaches these and is refused too).
CREATE TRIGGER case_events_no_truncate BEFORE TRUNCATE ON case_events
    FOR EACH STATEMENT EXECUTE FUNCTION akutlinje_append_only();
CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION akutlinje_append_only();
CREATE TRIGGER attachments_no_truncate BEFORE TRUNCATE ON attachments
    FOR EACH STATEMENT EXECUTE FUNCTION akutlinje_append_only();
CREATE TRIGGER resident_decisions_no_truncate BEFORE TRUNCATE ON resident_decisions
    FOR EACH STATEMENT EXECUTE FUNCTION akutlinje_append_only();

-- A treatment decision is part of what the physician was shown: it is
-- never changed or deleted. A new import supersedes it; only superseded_at
-- may be set, and only once.
CREATE FUNCTION akutlinje_decisions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'resident_decisions is append-only';
    END IF;
    IF OLD.superseded_at IS NOT NULL
        OR NEW.superseded_at IS NULL
        OR NEW.id <> OLD.id
        OR NEW.resident_id <> OLD.resident_id
        OR NEW.kind <> OLD.kind
        OR NEW.note IS DISTINCT FROM OLD.note
        OR NEW.recorded_by <> OLD.recorded_by
        OR NEW.recorded_on <> OLD.recorded_on
        OR NEW.created_at <> OLD.created_at THEN
        RAISE EXCEPTION 'resident_decisions is append-only: only superseded_at may be set, once';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER resident_decisions_append_only BEFORE UPDATE OR DELETE ON resident_decisions
    FOR EACH ROW EXECUTE FUNCTION akutlinje_decisions_append_only();

-- Spoken resident cards in webhook answers are purged after a week.
CREATE INDEX webhook_answers_created ON webhook_answers (created_at);
CREATE INDEX web_sessions_expires ON web_sessions (expires_at);
