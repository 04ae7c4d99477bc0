"""The wire between fronts and room hosts: what a front sends and what a host answers."""

from __future__ import annotations

from typing import Any

# (room key, message name, positional arguments, keyword arguments)
Message = tuple[str, str, tuple[Any, ...], dict[str, Any]]

OK = 0  # payload: the message's result
ERROR = 1  # payload: a GatekeeperError, raised again in the front
NOT_MINE = 2  # payload: (epoch, host_count) the host serves; the front adopts it and retries
MOVING = 3  # payload: None; the key is changing hosts, the front retries shortly

Reply = tuple[int, Any]
