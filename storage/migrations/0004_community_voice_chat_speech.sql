-- Who speaks, who is muted and who waits to speak in a community call. The reference kept
-- these only in LiveKit's participant metadata; a call's room reads them back from here when
-- it is rebuilt (after a crash, a move to another host, or being idle), so nothing is lost.
CREATE TABLE IF NOT EXISTS community_voice_chat_speech (
    room_name text NOT NULL,
    address text NOT NULL,
    is_speaker boolean NOT NULL DEFAULT false,
    muted boolean NOT NULL DEFAULT false,
    -- When the member asked to speak (epoch ms); NULL when not waiting. Orders the queue.
    requested_at bigint,
    CONSTRAINT community_voice_chat_speech_pkey PRIMARY KEY (room_name, address)
);
