"""Who signed a message: EIP-191 personal signatures recovered with libsecp256k1 (coincurve).

Signatures are accepted the way `@dcl/crypto` accepts them: hex with a `0x` prefix in any case,
65 bytes r‖s‖v, v as 27/28 or 0/1, r and s anywhere in [1, n-1] (high-s included).
"""

from __future__ import annotations

import re

from coincurve import PublicKey

from integrations.signed_fetch.keccak import keccak256

_HEX_SIGNATURE = re.compile(r"0x[0-9a-fA-F]+", re.ASCII)
_CURVE_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_PERSONAL_PREFIX = b"\x19Ethereum Signed Message:\n"


class RecoveryError(Exception):
    """A signature that cannot name a signer; the text is the reference's wording."""


def personal_message_hash(message: str) -> bytes:
    """The EIP-191 digest `personal_sign` signs."""
    body = message.encode()
    return keccak256(_PERSONAL_PREFIX + str(len(body)).encode() + body)


def recover_personal_signer(message: str, signature: str) -> str:
    """The lower-case address whose key made `signature` over `message`."""
    return recover_signer(personal_message_hash(message), signature)


def recover_signer(digest: bytes, signature: str) -> str:
    """The lower-case address whose key signed the 32-byte `digest`."""
    if _HEX_SIGNATURE.fullmatch(signature) is None or len(signature) % 2:
        raise RecoveryError("String signatures must be encoded in hex")
    raw = bytes.fromhex(signature[2:])
    if len(raw) != 65:
        raise RecoveryError("Invalid ethereum signature")

    v = raw[64]
    if v in (0, 1):
        v += 27
    if v not in (27, 28):
        raise RecoveryError(f"Invalid signature recovery value: {raw[64]}. Expected 27 or 28")
    if not 0 < int.from_bytes(raw[:32], "big") < _CURVE_ORDER:
        raise RecoveryError("r must be 0 < r < CURVE.n")
    if not 0 < int.from_bytes(raw[32:64], "big") < _CURVE_ORDER:
        raise RecoveryError("s must be 0 < s < CURVE.n")

    try:
        key = PublicKey.from_signature_and_message(raw[:64] + bytes((v - 27,)), digest, hasher=None)
    except Exception as error:  # coincurve raises bare Exception when no key fits
        raise RecoveryError("Invalid ethereum signature") from error
    return address_of(key.format(compressed=False))


def address_of(uncompressed_public_key: bytes) -> str:
    """The lower-case Ethereum address of a 65-byte uncompressed public key."""
    return "0x" + keccak256(uncompressed_public_key[1:])[12:].hex()
