-- Matrix rooms bound to a nursing home by an admin or coordinator: the bot
-- shows a home's resident data only in that home's rooms (and only while
-- every member may read that home).
CREATE TABLE home_rooms (
    room_id     TEXT PRIMARY KEY,
    home_id     TEXT NOT NULL REFERENCES homes(id),
    bound_by    TEXT REFERENCES persons(id),
    bound_at    TEXT NOT NULL
);
CREATE INDEX home_rooms_home ON home_rooms (home_id);
