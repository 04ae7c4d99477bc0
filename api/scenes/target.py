"""The wallet a scene admin or ban names: by address, or by DCL name.

POST /scene-admin and POST /scene-bans take `{<address key>?: address, <name key>?: string}`
and nothing else; an address wins when both are given, and an empty name names nobody.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.validation import ADDRESS_PATTERN, check, validator


@dataclass(frozen=True)
class Target:
    address: str | None
    name: str | None


class TargetBody:
    """The schema of a target body under the route's own two keys."""

    def __init__(self, address_key: str, name_key: str) -> None:
        self.address_key = address_key
        self.name_key = name_key
        # Two passes, as the reference reports them: every key's type before any value.
        self._shape = validator(
            {
                "type": "object",
                "properties": {address_key: {"type": "string"}, name_key: {"type": "string"}},
                "additionalProperties": False,
            }
        )
        self._values = validator(
            {
                "properties": {address_key: {"pattern": ADDRESS_PATTERN}},
                # Branch 0 words the failure: with neither key, the address is the missing one.
                "anyOf": [
                    {"required": [address_key]},
                    {"required": [name_key], "properties": {name_key: {"minLength": 1}}},
                ],
            }
        )

    def target(self, body: Any) -> Target:
        """The body's target; raises InvalidBodyError in the validator's shape."""
        check(body, self._shape)
        check(body, self._values)
        address = body.get(self.address_key)
        name = body.get(self.name_key)
        return Target(address=address.lower() if address else None, name=name or None)
