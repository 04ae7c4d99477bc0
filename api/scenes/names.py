"""DCL names: the wallet a name belongs to, and the display names listings show."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from api.services import Services
from config.errors import GatekeeperError, NotFoundError

logger = logging.getLogger(__name__)


async def name_owner(services: Services, name: str) -> str:
    """The owner's lower-cased address; 404 when the name has no owner."""
    owner = await services.lambdas.name_owner(name)
    if owner is None:
        raise NotFoundError(f"Could not find the owner of the name {name}")
    return owner


async def display_names(services: Services, addresses: Iterable[str]) -> dict[str, str]:
    """Display name per address; with the profiles unreadable, listings show none."""
    wanted = list(addresses)
    if not wanted:
        return {}
    try:
        return await services.lambdas.display_names(wanted)
    except GatekeeperError as error:
        logger.warning("display names unavailable count=%s error=%s", len(wanted), error.message)
        return {}
