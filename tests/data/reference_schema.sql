-- A database as the reference service leaves it after all of its own migrations (node-pg-migrate,
-- ledger in `pgmigrations`), with a few rows in every table. Tests load it into a scratch
-- database and check that our migrations adopt it.

CREATE TABLE pgmigrations (
    id serial PRIMARY KEY,
    name varchar(255) NOT NULL,
    run_on timestamp NOT NULL
);
INSERT INTO pgmigrations (name, run_on) VALUES
    ('1741025559300_scene-admin', '2025-03-03 18:00:00'),
    ('1741092907199_steaming-access', '2025-03-04 12:00:00'),
    ('1741630574473_scene-stream-access', '2025-03-10 18:00:00'),
    ('1744398181271_scene-stream-ttl', '2025-04-11 19:00:00'),
    ('1748281527347_voice-chat', '2025-05-26 17:00:00'),
    ('1750453791624_voice-chat-search-indexes', '2025-06-20 21:00:00'),
    ('1752227934984_community-voice-chat', '2025-07-11 10:00:00'),
    ('1756798854947_scene-bans', '2025-09-02 07:00:00'),
    ('1759152000000_add-stream-access-expiration', '2025-09-29 13:00:00'),
    ('1759800000000_add-scene-chat-fields', '2025-10-07 01:00:00'),
    ('1760707094072_remove-ingress-id-unique-constraint', '2025-10-17 13:00:00'),
    ('1770669236898_migrate-world-bans-admins-to-world-name', '2026-02-09 20:00:00'),
    ('1771434939000_revert-world-bans-admins-to-scene-place-id', '2026-02-18 17:00:00'),
    ('1782134294072_add-sid-to-community-voice-chat', '2026-06-22 13:00:00'),
    ('1782483861343_player-connection-info', '2026-06-26 14:00:00'),
    ('1782483862343_add-device-id-to-user-bans', '2026-06-26 14:00:01');

CREATE TABLE scene_admin (
    id uuid PRIMARY KEY,
    place_id text NOT NULL,
    admin text NOT NULL,
    added_by text NOT NULL,
    created_at bigint NOT NULL,
    active boolean NOT NULL DEFAULT true
);
CREATE UNIQUE INDEX unique_active_scene_admin_place_id_admin
    ON scene_admin (place_id, admin) WHERE active = true;

CREATE TABLE scene_stream_access (
    id uuid PRIMARY KEY,
    place_id text NOT NULL,
    streaming_url text NOT NULL,
    streaming_key text NOT NULL,
    ingress_id text NOT NULL,
    created_at bigint NOT NULL,
    active boolean NOT NULL DEFAULT true,
    streaming boolean NOT NULL DEFAULT false,
    streaming_start_time bigint,
    expiration_time bigint,
    room_id text,
    generated_by text
);
CREATE UNIQUE INDEX unique_active_scene_stream_access_place_id
    ON scene_stream_access (place_id, active) WHERE active = true;
CREATE INDEX idx_scene_stream_access_expiration_time ON scene_stream_access (expiration_time);
CREATE INDEX idx_scene_stream_access_streaming_key ON scene_stream_access (streaming_key);
CREATE INDEX idx_scene_stream_access_room_id ON scene_stream_access (room_id);
CREATE INDEX idx_scene_stream_access_generated_by ON scene_stream_access (generated_by);

CREATE TABLE voice_chat_users (
    address varchar(42) NOT NULL,
    room_name varchar NOT NULL,
    status varchar NOT NULL,
    joined_at bigint NOT NULL,
    status_updated_at bigint NOT NULL,
    CONSTRAINT pk_voice_chat_users PRIMARY KEY (address, room_name)
);
CREATE INDEX voice_chat_users_room_name_index ON voice_chat_users (room_name);
CREATE INDEX idx_voice_chat_users_status_joined_at_status_updated_at
    ON voice_chat_users (status, joined_at, status_updated_at);

CREATE TABLE community_voice_chat_users (
    address text NOT NULL,
    room_name text NOT NULL,
    is_moderator boolean NOT NULL DEFAULT false,
    status text NOT NULL CHECK (
        status IN ('connected', 'connection_interrupted', 'disconnected', 'not_connected')
    ),
    joined_at bigint NOT NULL,
    status_updated_at bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sid text
);
ALTER TABLE community_voice_chat_users
    ADD CONSTRAINT community_voice_chat_users_pkey PRIMARY KEY (address, room_name);
CREATE INDEX community_voice_chat_users_room_name_index ON community_voice_chat_users (room_name);
CREATE INDEX community_voice_chat_users_room_name_is_moderator_index
    ON community_voice_chat_users (room_name, is_moderator);
CREATE INDEX community_voice_chat_users_status_status_updated_at_index
    ON community_voice_chat_users (status, status_updated_at);

CREATE TABLE scene_bans (
    id uuid PRIMARY KEY,
    place_id text NOT NULL,
    banned_address text NOT NULL,
    banned_by text NOT NULL,
    banned_at bigint NOT NULL
);
CREATE UNIQUE INDEX unique_scene_bans_place_id_banned_address
    ON scene_bans (place_id, banned_address);

CREATE TABLE user_bans (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    banned_address varchar NOT NULL,
    banned_by varchar NOT NULL,
    reason text NOT NULL,
    custom_message text,
    banned_at timestamp NOT NULL DEFAULT now(),
    expires_at timestamp,
    lifted_at timestamp,
    lifted_by varchar,
    created_at timestamp NOT NULL DEFAULT now(),
    banned_device_id text
);
CREATE INDEX idx_user_bans_banned_address ON user_bans (banned_address);
CREATE INDEX idx_user_bans_banned_device_id_active ON user_bans (banned_device_id)
    WHERE lifted_at IS NULL AND banned_device_id IS NOT NULL;

CREATE TABLE user_warnings (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    warned_address varchar NOT NULL,
    warned_by varchar NOT NULL,
    reason text NOT NULL,
    warned_at timestamp NOT NULL DEFAULT now(),
    created_at timestamp NOT NULL DEFAULT now()
);
CREATE INDEX idx_user_warnings_warned_address ON user_warnings (warned_address);

CREATE TABLE player_connection_info (
    address varchar(42) NOT NULL,
    ip_address varchar(45),
    device_id text,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    CONSTRAINT pk_player_connection_info PRIMARY KEY (address)
);

INSERT INTO scene_admin (id, place_id, admin, added_by, created_at, active) VALUES
    ('6f1c1f2e-0000-4000-8000-000000000001', 'place-a', '0xaaa1', '0xowner', 1700000000000, true),
    ('6f1c1f2e-0000-4000-8000-000000000002', 'place-a', '0xaaa2', '0xowner', 1700000001000, false),
    ('6f1c1f2e-0000-4000-8000-000000000003', 'place-b', '0xaaa1', '0xowner', 1700000002000, true);

INSERT INTO scene_bans (id, place_id, banned_address, banned_by, banned_at) VALUES
    ('7a2d0000-0000-4000-8000-000000000001', 'place-a', '0xbad1', '0xaaa1', 1700000003000),
    ('7a2d0000-0000-4000-8000-000000000002', 'place-a', '0xbad2', '0xaaa1', 1700000004000);

INSERT INTO scene_stream_access (id, place_id, streaming_url, streaming_key, ingress_id,
                                 created_at, active, streaming, expiration_time, generated_by)
VALUES
    ('8b3e0000-0000-4000-8000-000000000001', 'place-a', 'rtmp://ingest/x', 'key-1', 'IN_1',
     1700000005000, true, false, 1700345605000, '0xowner'),
    ('8b3e0000-0000-4000-8000-000000000002', 'place-b', '', 'key-2', '',
     1700000006000, true, true, NULL, '0xowner'),
    ('8b3e0000-0000-4000-8000-000000000003', 'place-c', '', 'key-3', '',
     1700000007000, true, false, NULL, NULL);

INSERT INTO voice_chat_users (address, room_name, status, joined_at, status_updated_at) VALUES
    ('0x1111111111111111111111111111111111111111', 'voice-chat-private-r1', 'connected',
     1700000008000, 1700000008000),
    ('0x2222222222222222222222222222222222222222', 'voice-chat-private-r1', 'not_connected',
     1700000008000, 1700000008000);

INSERT INTO community_voice_chat_users (address, room_name, is_moderator, status, joined_at,
                                        status_updated_at, sid) VALUES
    ('0x3333333333333333333333333333333333333333', 'voice-chat-community-c1', true, 'connected',
     1700000009000, 1700000009000, 'PA_one'),
    ('0x4444444444444444444444444444444444444444', 'voice-chat-community-c1', false,
     'not_connected', 1700000009000, 1700000009000, NULL);

INSERT INTO user_bans (id, banned_address, banned_by, reason, banned_at, banned_device_id) VALUES
    ('9c4f0000-0000-4000-8000-000000000001', '0x5555555555555555555555555555555555555555',
     '0xmoderator', 'spam', '2026-01-01 00:00:00', 'device-5');

INSERT INTO user_warnings (id, warned_address, warned_by, reason) VALUES
    ('ad500000-0000-4000-8000-000000000001', '0x6666666666666666666666666666666666666666',
     '0xmoderator', 'language');

INSERT INTO player_connection_info (address, ip_address, device_id, created_at, updated_at) VALUES
    ('0x7777777777777777777777777777777777777777', '203.0.113.7', 'device-7',
     1700000010000, 1700000011000);
