"""Rows of `community_voice_chat_users`: who is in a community call, as what, and connected how.

Times are epoch milliseconds. `sid` is the LiveKit participant session last seen for the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from storage.database import Connection

NOT_CONNECTED = "not_connected"
CONNECTED = "connected"
INTERRUPTED = "connection_interrupted"
DISCONNECTED = "disconnected"

_COLUMNS = "address, room_name, is_moderator, status, joined_at, status_updated_at, sid"


@dataclass(frozen=True, slots=True)
class CommunityUser:
    address: str
    is_moderator: bool
    status: str
    joined_at: int
    status_updated_at: int
    sid: str | None

    def active(self, now_ms: int, interrupted_ttl: int, initial_ttl: int) -> bool:
        """Whether the row counts as in the call at `now_ms`."""
        if self.status == CONNECTED:
            return True
        if self.status == INTERRUPTED:
            return self.status_updated_at > now_ms - interrupted_ttl
        if self.status == NOT_CONNECTED:
            return self.joined_at > now_ms - initial_ttl
        return False


def _user(record: Any) -> CommunityUser:
    return CommunityUser(
        address=record["address"],
        is_moderator=bool(record["is_moderator"]),
        status=record["status"],
        joined_at=int(record["joined_at"]),
        status_updated_at=int(record["status_updated_at"]),
        sid=record["sid"] or None,
    )


@dataclass(frozen=True, slots=True)
class SpeechRow:
    """A member's speaking state: speaker, muted, and when it asked to speak (None: it didn't)."""

    address: str
    is_speaker: bool = False
    muted: bool = False
    requested_at: int | None = None

    @property
    def is_default(self) -> bool:
        return not self.is_speaker and not self.muted and self.requested_at is None


@dataclass(frozen=True, slots=True)
class CommunityRows:
    users: list[CommunityUser]
    # Requests to speak come first, oldest first; then the rest.
    speech: list[SpeechRow]


_LOAD_ROOM = f"""
SELECT 'user' AS kind, {_COLUMNS}, NULL::boolean AS is_speaker, NULL::boolean AS muted,
       NULL::bigint AS requested_at
FROM community_voice_chat_users WHERE room_name = $1
UNION ALL
SELECT 'speech', address, room_name, NULL, NULL, NULL, NULL, NULL, is_speaker, muted, requested_at
FROM community_voice_chat_speech WHERE room_name = $1
"""  # noqa: S608 - a constant column list


async def load_room(conn: Connection, room_name: str) -> CommunityRows:
    """The call's members and their speaking state, in one round trip."""
    users: list[CommunityUser] = []
    speech: list[SpeechRow] = []
    for record in await conn.fetch(_LOAD_ROOM, room_name):
        if record["kind"] == "user":
            users.append(_user(record))
        else:
            speech.append(
                SpeechRow(
                    record["address"],
                    bool(record["is_speaker"]),
                    bool(record["muted"]),
                    record["requested_at"],
                )
            )
    users.sort(key=lambda user: (user.joined_at, user.address))
    speech.sort(key=lambda row: (row.requested_at is None, row.requested_at or 0, row.address))
    return CommunityRows(users, speech)


async def save_speech(conn: Connection, room_name: str, rows: Sequence[SpeechRow]) -> None:
    """Store each member's speaking state; a member with none has no row."""
    kept = [row for row in rows if not row.is_default]
    gone = [row.address for row in rows if row.is_default]
    if gone:
        await conn.execute(
            "DELETE FROM community_voice_chat_speech "
            "WHERE room_name = $1 AND address = ANY($2::text[])",
            room_name,
            gone,
        )
    if kept:
        await conn.execute(
            """
            INSERT INTO community_voice_chat_speech
                (room_name, address, is_speaker, muted, requested_at)
            SELECT $1, r.address, r.is_speaker, r.muted, r.requested_at
            FROM unnest($2::text[], $3::boolean[], $4::boolean[], $5::bigint[])
                AS r(address, is_speaker, muted, requested_at)
            ON CONFLICT (room_name, address) DO UPDATE
            SET is_speaker = EXCLUDED.is_speaker, muted = EXCLUDED.muted,
                requested_at = EXCLUDED.requested_at
            """,
            room_name,
            [row.address for row in kept],
            [row.is_speaker for row in kept],
            [row.muted for row in kept],
            [row.requested_at for row in kept],
        )


async def upsert_user(
    conn: Connection, room_name: str, address: str, is_moderator: bool, now_ms: int
) -> CommunityUser:
    """Put the user in the call as `not_connected`; a re-join keeps its first `joined_at`."""
    record = await conn.fetchrow(
        f"""
        INSERT INTO community_voice_chat_users
            (address, room_name, is_moderator, status, joined_at, status_updated_at, sid)
        VALUES ($1, $2, $3, '{NOT_CONNECTED}', $4, $4, NULL)
        ON CONFLICT (address, room_name) DO UPDATE
        SET status = EXCLUDED.status, status_updated_at = EXCLUDED.status_updated_at,
            is_moderator = EXCLUDED.is_moderator, sid = NULL
        RETURNING {_COLUMNS}
        """,  # noqa: S608
        address,
        room_name,
        is_moderator,
        now_ms,
    )
    return _user(record)


async def set_statuses(
    conn: Connection, room_name: str, changes: Sequence[tuple[str, str, int, str | None]]
) -> None:
    """Apply (address, status, status_updated_at, sid) to existing rows in one statement."""
    if not changes:
        return
    await conn.execute(
        """
        UPDATE community_voice_chat_users AS u
        SET status = c.status, status_updated_at = c.at, sid = c.sid
        FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[]) AS c(address, status, at, sid)
        WHERE u.room_name = $1 AND u.address = c.address
        """,
        room_name,
        [change[0] for change in changes],
        [change[1] for change in changes],
        [change[2] for change in changes],
        [change[3] for change in changes],
    )


async def delete_room(conn: Connection, room_name: str) -> int:
    """Delete every row of the call, speaking state included; how many members there were."""
    await conn.execute("DELETE FROM community_voice_chat_speech WHERE room_name = $1", room_name)
    result = await conn.execute(
        "DELETE FROM community_voice_chat_users WHERE room_name = $1", room_name
    )
    return int(result.split()[-1])


_ACTIVE = """
(status = 'connected'
 OR (status = 'connection_interrupted'
     AND status_updated_at > ${now}::bigint - ${interrupted}::bigint)
 OR (status = 'not_connected' AND joined_at > ${now}::bigint - ${initial}::bigint))
"""


def _active(now: int, interrupted: int, initial: int) -> str:
    return _ACTIVE.format(now=now, interrupted=interrupted, initial=initial)


async def user_in_any_call(
    conn: Connection, address: str, now_ms: int, interrupted_ttl: int, initial_ttl: int
) -> bool:
    """Whether the user's own rows hold an active one, in any community call."""
    found = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM community_voice_chat_users "  # noqa: S608
        f"WHERE address = $1 AND {_active(2, 3, 4)})",
        address,
        now_ms,
        interrupted_ttl,
        initial_ttl,
    )
    return bool(found)


@dataclass(frozen=True, slots=True)
class RoomCounts:
    room_name: str
    participants: int
    moderators: int


async def active_counts(
    conn: Connection,
    room_names: Sequence[str] | None,
    now_ms: int,
    interrupted_ttl: int,
    initial_ttl: int,
) -> list[RoomCounts]:
    """Active rows and active moderator rows per call, ordered by room name.

    `room_names` None means every community call that has an active row.
    """
    records = await conn.fetch(
        f"""
        SELECT room_name, count(*) AS participants,
               count(*) FILTER (WHERE is_moderator) AS moderators
        FROM community_voice_chat_users
        WHERE ($1::text[] IS NULL AND room_name LIKE 'voice-chat-community-%'
               OR room_name = ANY($1::text[]))
          AND {_active(2, 3, 4)}
        GROUP BY room_name
        ORDER BY room_name
        """,  # noqa: S608
        None if room_names is None else list(room_names),
        now_ms,
        interrupted_ttl,
        initial_ttl,
    )
    return [
        RoomCounts(r["room_name"], int(r["participants"]), int(r["moderators"])) for r in records
    ]


async def expired_rooms(
    conn: Connection,
    now_ms: int,
    interrupted_ttl: int,
    initial_ttl: int,
    no_moderator_ttl: int,
    limit: int,
) -> list[str]:
    """Calls with no moderator row, or whose moderators all left long enough ago."""
    records = await conn.fetch(
        f"""
        SELECT room_name
        FROM community_voice_chat_users
        GROUP BY room_name
        HAVING count(*) FILTER (WHERE is_moderator) = 0
            OR (count(*) FILTER (WHERE is_moderator AND {_active(1, 2, 3)}) = 0
                AND max(status_updated_at) FILTER (WHERE is_moderator) > 0
                AND max(status_updated_at) FILTER (WHERE is_moderator) <= $1::bigint - $4::bigint)
        ORDER BY room_name
        LIMIT $5
        """,  # noqa: S608
        now_ms,
        interrupted_ttl,
        initial_ttl,
        no_moderator_ttl,
        limit,
    )
    return [record["room_name"] for record in records]
