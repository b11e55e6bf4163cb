-- Running instances and their heartbeats: the claims of an instance that
-- stopped beating (killed, frozen) are released within seconds, instead of
-- waiting for each claim's lease to run out.
CREATE TABLE workers (
    id              TEXT PRIMARY KEY,
    host            TEXT NOT NULL,
    pid             BIGINT NOT NULL,
    started_at      TIMESTAMPTZ NOT NULL,
    heartbeat_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX notifications_due_channel ON notifications (channel, next_attempt_at) WHERE status = 'pending';
