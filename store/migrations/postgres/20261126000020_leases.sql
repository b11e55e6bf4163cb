-- Roles only one instance may play at a time (issue 17): the Matrix bot,
-- the SIP registration, speech recognition. The holder renews its lease
-- every few seconds; when it stops (killed, frozen, cut off), another
-- instance takes the role once the lease has run out.
CREATE TABLE leases (
    role         TEXT PRIMARY KEY,
    holder       TEXT NOT NULL,
    acquired_at  TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
