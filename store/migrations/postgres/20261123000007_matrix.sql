-- A case's Matrix thread: the room and the event that started it.
CREATE TABLE matrix_threads (
    room_id     TEXT NOT NULL,
    root_event  TEXT NOT NULL,
    case_id     TEXT NOT NULL REFERENCES cases(id),
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (room_id, root_event)
);
