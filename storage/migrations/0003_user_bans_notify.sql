-- Every change to platform bans, whoever makes it, is announced on `gatekeeper_user_bans`, so
-- front processes holding the active bans in memory reload them. One notice per statement: a
-- bulk change costs one reload, and the notice is sent only when the transaction commits.
CREATE OR REPLACE FUNCTION gatekeeper_announce_user_bans() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gatekeeper_user_bans', TG_OP);
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS gatekeeper_user_bans_changed ON user_bans;
CREATE TRIGGER gatekeeper_user_bans_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON user_bans
    FOR EACH STATEMENT EXECUTE FUNCTION gatekeeper_announce_user_bans();
