"""Who may manage a scene: owners, explicit admins, permission holders and land tenants.

A world scene is owned by whoever owns the DCL name the world is named after; the world's
deployment and streaming permissions count as extended rights, limited to the parcels the
server lists for the wallet when it lists any. A land scene follows the lambdas' permissions
for its first parcel; a wallet with no rights there may still lease it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from config.errors import GatekeeperError
from integrations.lambdas import LambdasClient
from integrations.land_leases import LandLeases
from integrations.places import Place
from integrations.worlds import WorldPermissions, WorldsClient, world_dcl_name

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScenePermissions:
    owner: bool
    admin: bool
    has_extended_permissions: bool
    has_land_lease: bool

    @property
    def can_manage(self) -> bool:
        """May manage the scene (admins, bans, stream keys)."""
        return self.owner or self.admin or self.has_extended_permissions or self.has_land_lease

    @property
    def is_protected(self) -> bool:
        """May not be banned or added as an admin; a lease alone does not protect."""
        return self.owner or self.admin or self.has_extended_permissions


def _unique_lower(addresses: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(a.lower() for a in addresses if a))


async def _world_extended(worlds: WorldsClient, place: Place, address: str) -> bool:
    world = place.world_name or ""
    permissions, streaming_parcels, deployment_parcels = await asyncio.gather(
        worlds.permissions(world),
        worlds.address_parcels(world, "streaming", address),
        worlds.address_parcels(world, "deployment", address),
    )
    positions = set(place.positions)
    streaming_listed = permissions.streaming.lists(address)
    deployment_listed = permissions.deployment.lists(address)
    # A listed wallet without parcels holds the permission over the whole world.
    if streaming_listed and not streaming_parcels:
        return True
    if deployment_listed and not deployment_parcels:
        return True
    return bool(positions & set(streaming_parcels or ())) or bool(
        positions & set(deployment_parcels or ())
    )


async def user_scene_permissions(
    place: Place,
    address: str,
    *,
    is_explicit_admin: bool,
    worlds: WorldsClient,
    lambdas: LambdasClient,
    leases: LandLeases,
) -> ScenePermissions:
    """`address`'s rights over `place`; `is_explicit_admin` comes from the scene's admin list."""
    if place.world:
        label = world_dcl_name(place.world_name or "")
        owner = await lambdas.owns_name(address, label)
        if is_explicit_admin:
            return ScenePermissions(owner, True, False, False)
        extended = await _world_extended(worlds, place, address)
        return ScenePermissions(owner, False, extended, False)

    if not place.positions:
        logger.info("land place without parcels place=%s", place.id)
        return ScenePermissions(False, is_explicit_admin, False, False)
    land = await lambdas.land_permissions(address, place.positions[0])
    if is_explicit_admin:
        return ScenePermissions(land.owner, True, False, False)
    lease = False
    if not land.owner and not land.extended:
        lease = await leases.holds_lease(address, place.positions)
    return ScenePermissions(land.owner, False, land.extended, lease)


def _allow_listed(permissions: WorldPermissions) -> list[str]:
    found: list[str] = []
    for rule in (permissions.deployment, permissions.streaming):
        if rule.type == "allow-list":
            found.extend(rule.wallets)
    return found


async def scene_extra_addresses(
    place: Place, *, worlds: WorldsClient, lambdas: LambdasClient
) -> list[str]:
    """Wallets that manage `place` without being explicit admins (lower-cased, once each).

    World: deployment and streaming holders over the place's parcels plus the world owner; if
    any of those calls fails, every allow-listed deployer and streamer plus the owner.
    Land: the owner and operators of the base parcel.
    """
    if not place.world:
        operators = await lambdas.land_operators(place.base_position)
        return operators.addresses()

    world = place.world_name or ""
    parcels = list(place.positions)
    deployers, streamers, permissions = await asyncio.gather(
        worlds.parcel_permission_holders(world, "deployment", parcels),
        worlds.parcel_permission_holders(world, "streaming", parcels),
        worlds.permissions(world),
        return_exceptions=True,
    )
    if (
        isinstance(deployers, list)
        and isinstance(streamers, list)
        and isinstance(permissions, WorldPermissions)
    ):
        return _unique_lower([*deployers, *streamers, permissions.owner])

    logger.info("world permission holders unavailable, using allow-lists world=%s", world)
    if not isinstance(permissions, WorldPermissions):
        if isinstance(permissions, GatekeeperError):
            # The fallback reads the same document, so ask once more before giving up.
            permissions = await worlds.permissions(world)
        else:
            raise permissions
    return _unique_lower([*_allow_listed(permissions), permissions.owner])


async def scene_lease_holders(place: Place, *, leases: LandLeases) -> list[str]:
    """Wallets leasing any parcel of a land place; none for worlds or when unknown."""
    if place.world:
        return []
    return await leases.holders(place.positions)
