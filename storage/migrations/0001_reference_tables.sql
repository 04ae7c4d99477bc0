-- The tables of the reference service, as its own migrations leave them.
-- Written to adopt a database the reference has been running on: every statement creates only
-- what is missing, so existing tables and rows are kept as they are.

CREATE TABLE IF NOT EXISTS voice_chat_users (
    address varchar(42) NOT NULL,
    room_name varchar NOT NULL,
    status varchar NOT NULL,
    joined_at bigint NOT NULL,
    status_updated_at bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS community_voice_chat_users (
    address text NOT NULL,
    room_name text NOT NULL,
    is_moderator boolean NOT NULL DEFAULT false,
    status text NOT NULL,
    joined_at bigint NOT NULL,
    status_updated_at bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE community_voice_chat_users ADD COLUMN IF NOT EXISTS sid text;

CREATE TABLE IF NOT EXISTS user_bans (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    banned_address varchar NOT NULL,
    banned_by varchar NOT NULL,
    reason text NOT NULL,
    custom_message text,
    banned_at timestamp NOT NULL DEFAULT now(),
    expires_at timestamp,
    lifted_at timestamp,
    lifted_by varchar,
    created_at timestamp NOT NULL DEFAULT now()
);
ALTER TABLE user_bans ADD COLUMN IF NOT EXISTS banned_device_id text;

CREATE TABLE IF NOT EXISTS user_warnings (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    warned_address varchar NOT NULL,
    warned_by varchar NOT NULL,
    reason text NOT NULL,
    warned_at timestamp NOT NULL DEFAULT now(),
    created_at timestamp NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS player_connection_info (
    address varchar(42) NOT NULL,
    ip_address varchar(45),
    device_id text,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS scene_stream_access (
    id uuid NOT NULL,
    place_id text NOT NULL,
    streaming_url text NOT NULL,
    streaming_key text NOT NULL,
    ingress_id text NOT NULL,
    created_at bigint NOT NULL,
    active boolean NOT NULL DEFAULT true
);
ALTER TABLE scene_stream_access
    ADD COLUMN IF NOT EXISTS streaming boolean NOT NULL DEFAULT false,
    ADD COLUMN IF NOT EXISTS streaming_start_time bigint,
    ADD COLUMN IF NOT EXISTS expiration_time bigint,
    ADD COLUMN IF NOT EXISTS room_id text,
    ADD COLUMN IF NOT EXISTS generated_by text;

CREATE TABLE IF NOT EXISTS scene_admin (
    id uuid NOT NULL,
    place_id text NOT NULL,
    admin text NOT NULL,
    added_by text NOT NULL,
    created_at bigint NOT NULL,
    active boolean NOT NULL DEFAULT true
);

CREATE TABLE IF NOT EXISTS scene_bans (
    id uuid NOT NULL,
    place_id text NOT NULL,
    banned_address text NOT NULL,
    banned_by text NOT NULL,
    banned_at bigint NOT NULL
);

-- Primary keys and checks, each under the reference's name, added only where the table has none:
-- a table holds one primary key whatever its name, a check is recognised by its name.
DO $$
DECLARE
    wanted record;
BEGIN
    FOR wanted IN
        SELECT * FROM (VALUES
            ('voice_chat_users', 'pk_voice_chat_users', 'p',
             'PRIMARY KEY (address, room_name)'),
            ('community_voice_chat_users', 'community_voice_chat_users_pkey', 'p',
             'PRIMARY KEY (address, room_name)'),
            ('community_voice_chat_users', 'community_voice_chat_users_status_check', 'c',
             'CHECK (status IN (''connected'', ''connection_interrupted'', '
             || '''disconnected'', ''not_connected''))'),
            ('user_bans', 'user_bans_pkey', 'p', 'PRIMARY KEY (id)'),
            ('user_warnings', 'user_warnings_pkey', 'p', 'PRIMARY KEY (id)'),
            ('player_connection_info', 'pk_player_connection_info', 'p', 'PRIMARY KEY (address)'),
            ('scene_stream_access', 'scene_stream_access_pkey', 'p', 'PRIMARY KEY (id)'),
            ('scene_admin', 'scene_admin_pkey', 'p', 'PRIMARY KEY (id)'),
            ('scene_bans', 'scene_bans_pkey', 'p', 'PRIMARY KEY (id)')
        ) AS t (table_name, constraint_name, kind, definition)
    LOOP
        IF NOT EXISTS (
            SELECT 1 FROM pg_constraint
            WHERE conrelid = wanted.table_name::regclass
              AND contype = wanted.kind
              AND (wanted.kind = 'p' OR conname = wanted.constraint_name)
        ) THEN
            EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I %s',
                           wanted.table_name, wanted.constraint_name, wanted.definition);
        END IF;
    END LOOP;
END
$$;

CREATE INDEX IF NOT EXISTS voice_chat_users_room_name_index
    ON voice_chat_users (room_name);
CREATE INDEX IF NOT EXISTS idx_voice_chat_users_status_joined_at_status_updated_at
    ON voice_chat_users (status, joined_at, status_updated_at);

CREATE INDEX IF NOT EXISTS community_voice_chat_users_room_name_index
    ON community_voice_chat_users (room_name);
CREATE INDEX IF NOT EXISTS community_voice_chat_users_room_name_is_moderator_index
    ON community_voice_chat_users (room_name, is_moderator);
CREATE INDEX IF NOT EXISTS community_voice_chat_users_status_status_updated_at_index
    ON community_voice_chat_users (status, status_updated_at);

CREATE INDEX IF NOT EXISTS idx_user_bans_banned_address ON user_bans (banned_address);
CREATE INDEX IF NOT EXISTS idx_user_bans_banned_device_id_active
    ON user_bans (banned_device_id)
    WHERE lifted_at IS NULL AND banned_device_id IS NOT NULL;

CREATE INDEX IF NOT EXISTS idx_user_warnings_warned_address ON user_warnings (warned_address);

CREATE UNIQUE INDEX IF NOT EXISTS unique_active_scene_stream_access_place_id
    ON scene_stream_access (place_id, active) WHERE active = true;
CREATE INDEX IF NOT EXISTS idx_scene_stream_access_expiration_time
    ON scene_stream_access (expiration_time);
CREATE INDEX IF NOT EXISTS idx_scene_stream_access_streaming_key
    ON scene_stream_access (streaming_key);
CREATE INDEX IF NOT EXISTS idx_scene_stream_access_room_id ON scene_stream_access (room_id);
CREATE INDEX IF NOT EXISTS idx_scene_stream_access_generated_by
    ON scene_stream_access (generated_by);
-- Cast 2.0 rows share an empty ingress id, so one active row per ingress cannot be unique.
DROP INDEX IF EXISTS unique_active_scene_stream_access_ingress_id;

CREATE UNIQUE INDEX IF NOT EXISTS unique_active_scene_admin_place_id_admin
    ON scene_admin (place_id, admin) WHERE active = true;

CREATE UNIQUE INDEX IF NOT EXISTS unique_scene_bans_place_id_banned_address
    ON scene_bans (place_id, banned_address);
