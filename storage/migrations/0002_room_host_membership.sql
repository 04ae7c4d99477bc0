-- How many room hosts share the rooms, decided at `epoch`; a single row.
CREATE TABLE IF NOT EXISTS room_host_membership (
    id smallint PRIMARY KEY CHECK (id = 1),
    epoch bigint NOT NULL,
    host_count int NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
