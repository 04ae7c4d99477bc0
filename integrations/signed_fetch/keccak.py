"""Keccak-256, the hash Ethereum addresses and personal signatures are built on.

pycryptodome's `keccak.new` spends most of its time in Python wrappers; driving its C state
directly (one state per thread, reset between uses) is about three times faster, which matters
because a signed request costs four of these. If that library's layout ever changes, the
public `keccak.new` is used instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from Crypto.Hash import keccak as _keccak

_DIGEST_BYTES = 32
_ROUNDS = 24
_KECCAK_PADDING = 0x01


def _portable(data: bytes) -> bytes:
    return _keccak.new(digest_bits=256, data=data).digest()


def _direct() -> Callable[[bytes], bytes] | None:
    try:
        import cffi  # type: ignore[import-untyped]
        from Crypto.Hash.keccak import _raw_keccak_lib as lib  # type: ignore[attr-defined]
        from Crypto.Util._raw_api import VoidPointer
    except ImportError:
        return None
    if not type(lib).__name__.startswith("FFILibrary"):
        return None
    ffi = cffi.FFI()
    local = threading.local()

    def state() -> tuple[Any, Any]:
        held: tuple[Any, Any] | None = getattr(local, "held", None)
        if held is None:
            pointer = VoidPointer()
            if lib.keccak_init(pointer.address_of(), _DIGEST_BYTES * 2, _ROUNDS):
                raise RuntimeError("keccak state could not be created")
            # The pointer object owns nothing; the state lives as long as the thread does.
            held = (pointer.get(), ffi.new("uint8_t[32]"))
            local.held = held
        return held

    def keccak256(data: bytes) -> bytes:
        handle, out = state()
        lib.keccak_reset(handle)
        lib.keccak_absorb(handle, data, len(data))
        lib.keccak_digest(handle, out, _DIGEST_BYTES, _KECCAK_PADDING)
        digest: bytes = ffi.buffer(out)[:]
        return digest

    probe = b"comms-gatekeeper"
    return keccak256 if keccak256(probe) == _portable(probe) else None


keccak256: Callable[[bytes], bytes] = _direct() or _portable
