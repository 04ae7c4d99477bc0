-- Who presents in a scene's LiveKit room: the place's managers, promoted as they join. The
-- reference kept them only in the LiveKit room's metadata, lost with the room; the place's
-- room keeps them here and writes them back to LiveKit when the room starts again.
CREATE TABLE IF NOT EXISTS scene_presenters (
    place_id text NOT NULL,
    room_name text NOT NULL,
    presenter text NOT NULL,
    added_at bigint NOT NULL,
    CONSTRAINT scene_presenters_pkey PRIMARY KEY (place_id, room_name, presenter)
);
