-- Keys of one-off jobs already done (a handover notice, a reported gap), so a
-- restart or a second instance never sends the same notice twice.
CREATE TABLE jobs_done (
    key         TEXT PRIMARY KEY,
    done_at     TIMESTAMPTZ NOT NULL
);
