"""Signing requests the way Decentraland clients do, with real wallet keys (eth-account).

An identity is an owner wallet plus an ephemeral key the owner signed for a while; a request
is signed by the ephemeral key over `method:path:timestamp:metadata`, lower-cased.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount

DEFAULT_TTL_MS = 10 * 60 * 1000


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def iso_ms(millis: int) -> str:
    """`Date.prototype.toISOString` of a time in ms."""
    moment = datetime.fromtimestamp(millis / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis % 1000:03d}Z"


def personal_sign(account: LocalAccount, message: str) -> str:
    signed = account.sign_message(encode_defunct(text=message))
    return "0x" + bytes(signed.signature).hex()


def ephemeral_message(ephemeral_address: str, expiration: str) -> str:
    return f"Decentraland Login\nEphemeral address: {ephemeral_address}\nExpiration: {expiration}"


def link(kind: str, payload: str, signature: str = "") -> dict[str, str]:
    return {"type": kind, "payload": payload, "signature": signature}


@dataclass
class Identity:
    """A wallet and the ephemeral key it authorised until `expiration_ms`."""

    owner: LocalAccount
    ephemeral: LocalAccount
    expiration_ms: int
    chain: list[dict[str, str]] = field(default_factory=list)

    @property
    def address(self) -> str:
        """The owner's checksummed address."""
        return str(self.owner.address)

    @property
    def lower_address(self) -> str:
        return self.address.lower()


def make_identity(
    *,
    expiration_ms: int | None = None,
    ttl_ms: int = DEFAULT_TTL_MS,
    owner: LocalAccount | None = None,
    ephemeral: LocalAccount | None = None,
    expiration_text: str | None = None,
) -> Identity:
    """A fresh identity; the ephemeral key expires at `expiration_ms` (default now + ttl).
    `expiration_text` replaces the ISO date written in the message (other date forms)."""
    owner = owner or Account.create()
    ephemeral = ephemeral or Account.create()
    expires = expiration_ms if expiration_ms is not None else now_ms() + ttl_ms
    message = ephemeral_message(ephemeral.address, expiration_text or iso_ms(expires))
    chain = [
        link("SIGNER", owner.address),
        link("ECDSA_EPHEMERAL", message, personal_sign(owner, message)),
    ]
    return Identity(owner=owner, ephemeral=ephemeral, expiration_ms=expires, chain=chain)


def metadata_text(metadata: dict[str, Any] | None) -> str:
    """`JSON.stringify(metadata)`; no metadata is `{}`."""
    return json.dumps(metadata or {}, separators=(",", ":"), ensure_ascii=False)


def signed_payload(method: str, path: str, timestamp: str, metadata: str) -> str:
    return f"{method}:{path}:{timestamp}:{metadata}".lower()


def sign_payload(identity: Identity, payload: str) -> list[dict[str, str]]:
    """The full chain: the identity's links plus the ephemeral key's signature of `payload`."""
    entity = link("ECDSA_SIGNED_ENTITY", payload, personal_sign(identity.ephemeral, payload))
    return [*identity.chain, entity]


def chain_headers(chain: list[dict[str, str]]) -> dict[str, str]:
    return {
        f"x-identity-auth-chain-{index}": json.dumps(item, separators=(",", ":"))
        for index, item in enumerate(chain)
    }


def signed_headers(
    identity: Identity,
    method: str,
    path: str,
    metadata: dict[str, Any] | None,
    timestamp_ms: int | None = None,
) -> dict[str, str]:
    """The signed-fetch headers for `method path` (path without query, as sent on the wire)."""
    timestamp = str(timestamp_ms if timestamp_ms is not None else now_ms())
    metadata_header = metadata_text(metadata)
    payload = signed_payload(method, path, timestamp, metadata_header)
    return {
        **chain_headers(sign_payload(identity, payload)),
        "x-identity-timestamp": timestamp,
        "x-identity-metadata": metadata_header,
    }
