"""A place room (`place:<place id>`): the explicit admins and the bans of one scene's place.

Every write to `scene_admin` and `scene_bans` for a place goes through its room; ban and admin
checks are answered from memory.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from actors.room import Room, RoomContext, message, write
from storage import scene_admins, scene_bans, scene_presenters, stream_ingress
from storage.place_rooms import load_place
from storage.scene_admins import AdminRow
from storage.scene_bans import BanRow


@dataclass(frozen=True, slots=True)
class PlaceSnapshot:
    """What a token check needs to know about a place, as of `version`."""

    version: int
    admins: frozenset[str]
    banned: frozenset[str]


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class PlaceRoom(Room):
    kind = "place"
    __slots__ = ("admins", "bans", "place_id", "presenters")

    def __init__(
        self,
        key: str,
        context: RoomContext,
        admins: list[AdminRow],
        bans: list[BanRow],
        presenters: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(key, context)
        self.place_id = key.partition(":")[2]
        # Oldest first, so a new row is a cheap append; listings read them in reverse.
        self.admins = {row.admin: row for row in reversed(admins)}
        self.bans = {row.banned_address: row for row in reversed(bans)}
        # Per LiveKit room of the place (a scene has one per realm), in promotion order.
        self.presenters: dict[str, dict[str, None]] = {}
        for room_name, presenter in presenters or ():
            self.presenters.setdefault(room_name, {})[presenter] = None

    @classmethod
    async def activate(cls, key: str, context: RoomContext) -> PlaceRoom:
        place_id = key.partition(":")[2]
        async with context.pool.acquire() as connection:
            rows = await load_place(connection, place_id)
        return cls(key, context, rows.admins, rows.bans, rows.presenters)

    @message
    async def snapshot(self) -> PlaceSnapshot:
        return PlaceSnapshot(self.version, frozenset(self.admins), frozenset(self.bans))

    @message
    async def list_admins(self) -> list[AdminRow]:
        return list(reversed(self.admins.values()))

    @message
    async def is_admin(self, address: str) -> bool:
        return address in self.admins

    @write
    async def add_admin(self, admin: str, added_by: str) -> bool:
        """Make `admin` an explicit admin; False when it already was one."""
        if admin in self.admins:
            return False
        row = await self.commit(
            lambda c: scene_admins.add_admin(c, self.place_id, admin, added_by, _now_ms())
        )
        if row is None:
            return False
        self.admins[row.admin] = row
        return True

    @write
    async def remove_admin(self, admin: str) -> bool:
        """Deactivate an explicit admin; False when there was none."""
        if admin not in self.admins:
            return False
        await self.commit(lambda c: scene_admins.deactivate_admin(c, self.place_id, admin))
        del self.admins[admin]
        return True

    @message
    async def presenters_of(self, room_name: str) -> list[str]:
        return list(self.presenters.get(room_name, ()))

    @write
    async def add_presenter(self, room_name: str, presenter: str) -> bool:
        """Let `presenter` present in LiveKit room `room_name`; False when it already did."""
        if presenter in self.presenters.get(room_name, ()):
            return False
        await self.commit(
            lambda c: scene_presenters.add_presenter(
                c, self.place_id, room_name, presenter, _now_ms()
            )
        )
        self.presenters.setdefault(room_name, {})[presenter] = None
        return True

    @write
    async def remove_presenter(self, room_name: str, presenter: str) -> bool:
        if presenter not in self.presenters.get(room_name, ()):
            return False
        await self.commit(
            lambda c: scene_presenters.remove_presenter(c, self.place_id, room_name, presenter)
        )
        del self.presenters[room_name][presenter]
        if not self.presenters[room_name]:
            del self.presenters[room_name]
        return True

    @message
    async def is_banned(self, address: str) -> bool:
        return address in self.bans

    @message
    async def list_bans(self, limit: int | None = None, offset: int = 0) -> list[BanRow]:
        rows = list(reversed(self.bans.values()))
        return rows[offset:] if limit is None else rows[offset : offset + limit]

    @message
    async def count_bans(self) -> int:
        return len(self.bans)

    @message
    async def ban_page(self, limit: int, offset: int) -> tuple[list[BanRow], int]:
        """One page of bans, newest first, and how many there are in all."""
        return await self.list_bans(limit, offset), len(self.bans)

    @write
    async def add_ban(self, address: str, banned_by: str) -> bool:
        """Ban `address` from the place; False when it already was banned."""
        if address in self.bans:
            return False
        row = await self.commit(
            lambda c: scene_bans.add_ban(c, self.place_id, address, banned_by, _now_ms())
        )
        if row is None:
            return False
        self.bans[row.banned_address] = row
        return True

    @write
    async def remove_ban(self, address: str) -> bool:
        """Lift a ban; False when there was none."""
        if address not in self.bans:
            return False
        await self.commit(lambda c: scene_bans.remove_ban(c, self.place_id, address))
        del self.bans[address]
        return True

    @write
    async def ingress_started(self, ingress_id: str, now_ms: int) -> bool:
        """LiveKit says the place's stream went live; False when it already was."""
        return await self.commit(
            lambda c: stream_ingress.start_streaming(c, self.place_id, ingress_id, now_ms)
        )

    @write
    async def ingress_ended(self, ingress_id: str) -> bool:
        """LiveKit says the place's stream stopped; False when it was not streaming."""
        return await self.commit(
            lambda c: stream_ingress.stop_streaming(c, self.place_id, ingress_id)
        )
