"""Auth chains: reading them from headers and checking personal-signature chains.

A chain is SIGNER → ECDSA_EPHEMERAL → ECDSA_SIGNED_ENTITY: the owner signs a short-lived
ephemeral key, the ephemeral key signs the request. Contract-wallet chains are checked by the
catalyst instead (see `catalyst`).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import orjson
from cachetools import TTLCache

from config.errors import SignedFetchError
from integrations.signed_fetch.jsdates import js_date_parse
from integrations.signed_fetch.recovery import RecoveryError, recover_personal_signer
from integrations.signed_fetch.text import clip

CHAIN_HEADER = "x-identity-auth-chain-"
MAX_CHAIN_LENGTH = 10

SIGNER = "SIGNER"
ECDSA_EPHEMERAL = "ECDSA_EPHEMERAL"
ECDSA_SIGNED_ENTITY = "ECDSA_SIGNED_ENTITY"
ECDSA_EIP_1654_EPHEMERAL = "ECDSA_EIP_1654_EPHEMERAL"
ECDSA_EIP_1654_SIGNED_ENTITY = "ECDSA_EIP_1654_SIGNED_ENTITY"

_ADDRESS_PREFIX = "Ephemeral address: "
_EXPIRATION_PREFIX = "Expiration: "
_BAD_EPHEMERAL = (
    'Invalid ephemeral payload. Expected 3 lines with "Ephemeral address: " on line 2 '
    'and "Expiration: " on line 3'
)


@dataclass(frozen=True, slots=True)
class AuthLink:
    type: str
    payload: str
    signature: str

    def as_json(self) -> dict[str, str]:
        return {"type": self.type, "payload": self.payload, "signature": self.signature}


class ChainError(Exception):
    """The chain does not authenticate the payload; the text is the reference's wording."""


def read_chain(headers: Mapping[str, str], max_length: int = MAX_CHAIN_LENGTH) -> list[AuthLink]:
    """The links sent in `x-identity-auth-chain-<i>`, stopping at the first missing one."""
    links: list[AuthLink] = []
    for index in range(max_length):
        raw = headers.get(f"{CHAIN_HEADER}{index}")
        if not raw:
            break
        links.append(_parse_link(raw, index))
    if headers.get(f"{CHAIN_HEADER}{max_length}"):
        raise SignedFetchError(400, f"Auth chain exceeds maximum length of {max_length}")
    if len(links) < 2:
        raise SignedFetchError(400, "Invalid Auth Chain")
    return links


@lru_cache(maxsize=4096)
def _parse_link(raw: str, index: int) -> AuthLink:
    # A client sends the same first links with every request it signs: parse each once.
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise SignedFetchError(400, f"Invalid chain format: {clip(str(error))}") from None
    if isinstance(value, dict):
        kind, payload, signature = (value.get(k) for k in ("type", "payload", "signature"))
        if isinstance(kind, str) and isinstance(payload, str) and isinstance(signature, str):
            return AuthLink(kind, payload, signature)
    raise SignedFetchError(400, f"Invalid chain format: malformed auth link at position {index}")


def is_contract_wallet_chain(links: list[AuthLink]) -> bool:
    return 2 <= len(links) <= 3 and links[1].type == ECDSA_EIP_1654_EPHEMERAL


class EphemeralCache:
    """Recoveries of ephemeral links, a pure function of (message, signature).

    The expiration inside the message is still checked on every request; only the costly
    public-key recovery is remembered.
    """

    def __init__(self, max_entries: int = 50_000, ttl_seconds: float = 600.0) -> None:
        self._entries: TTLCache[tuple[str, str], str] = TTLCache(max_entries, ttl_seconds)
        self._lock = threading.Lock()

    def signer_of(self, message: str, signature: str) -> str:
        key = (message, signature)
        with self._lock:
            found = self._entries.get(key)
        if found is not None:
            return found
        signer = recover_personal_signer(message, signature)
        with self._lock:
            self._entries[key] = signer
        return signer

    def __len__(self) -> int:
        return len(self._entries)


def check_personal_chain(
    links: list[AuthLink], payload: str, now_ms: int, cache: EphemeralCache | None
) -> None:
    """Raise ChainError unless the chain, walked link by link, ends on `payload`."""
    if links[0].type != SIGNER or any(link.type == SIGNER for link in links[1:]):
        raise ChainError("ERROR: Malformed authChain")

    authority = ""
    for link in links:
        if link.type == SIGNER:
            authority = link.payload
        elif link.type == ECDSA_EPHEMERAL:
            authority = _ephemeral(link, authority, now_ms, cache)
        elif link.type == ECDSA_SIGNED_ENTITY:
            _require_signature(link)
            _expect_signer(link, authority, _recover(link, link.payload, None))
            authority = link.payload
        elif link.type in (ECDSA_EIP_1654_EPHEMERAL, ECDSA_EIP_1654_SIGNED_ENTITY):
            raise ChainError(_link_error(link, "Missing provider"))
        else:
            # The reference library resets the authority on unknown types, so the final
            # comparison below is what rejects them.
            authority = ""

    if authority != payload:
        raise ChainError(
            f"ERROR: Invalid final authority. Expected: {payload}. Current {authority}."
        )


@lru_cache(maxsize=4096)
def _ephemeral_message(payload: str) -> tuple[str, str, str, int | None] | None:
    """(CR-free message, ephemeral address, expiration text, expiration ms) or None."""
    message = payload.replace("\r", "")
    lines = message.split("\n")
    if (
        len(lines) < 3
        or not lines[1].startswith(_ADDRESS_PREFIX)
        or not lines[2].startswith(_EXPIRATION_PREFIX)
    ):
        return None
    expiration_text = lines[2][len(_EXPIRATION_PREFIX) :]
    address = lines[1][len(_ADDRESS_PREFIX) :]
    return message, address, expiration_text, js_date_parse(expiration_text)


def _ephemeral(link: AuthLink, authority: str, now_ms: int, cache: EphemeralCache | None) -> str:
    _require_signature(link)
    parts = _ephemeral_message(link.payload)
    if parts is None:
        raise ChainError(_link_error(link, _BAD_EPHEMERAL))
    message, ephemeral_address, expiration_text, expiration = parts
    if expiration is None:
        reason = f'Invalid expiration date in ephemeral payload: "{expiration_text}"'
        raise ChainError(_link_error(link, reason))
    if expiration <= now_ms:
        reason = f"Ephemeral key expired. Expiration: {expiration}. Test: {now_ms}"
        raise ChainError(_link_error(link, reason))

    _expect_signer(link, authority, _recover(link, message, cache))
    return ephemeral_address


def _recover(link: AuthLink, message: str, cache: EphemeralCache | None) -> str:
    try:
        if cache is not None:
            return cache.signer_of(message, link.signature)
        return recover_personal_signer(message, link.signature)
    except RecoveryError as error:
        raise ChainError(_link_error(link, str(error))) from None


def _require_signature(link: AuthLink) -> None:
    if not link.signature:
        reason = f"Invalid AuthLink. 'signature' must be present for type '{link.type}'"
        raise ChainError(_link_error(link, reason))


def _expect_signer(link: AuthLink, authority: str, recovered: str) -> None:
    expected = authority.lower()
    if recovered != expected:
        reason = f"Invalid signer address. Expected: {expected}. Actual: {recovered}"
        raise ChainError(_link_error(link, reason))


def _link_error(link: AuthLink, reason: str) -> str:
    return f"ERROR. Link type: {link.type}. {reason}."
