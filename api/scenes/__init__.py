"""Scene and world rules behind the routes: places, permissions, bans, admins, tokens."""
