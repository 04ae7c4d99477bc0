"""Which room host owns a key: rendezvous hashing over a numbered membership.

Every process computes the same owner from the same membership, with no coordination: for each
host the key gets a score from a stable hash, and the highest score wins. Changing the number of
hosts moves only the keys whose winner changes (about 1/n of them).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from hashlib import blake2b

NAMESPACE = "comms-gatekeeper"


@dataclass(frozen=True, slots=True)
class Membership:
    """The set of room hosts in force: hosts `0 .. host_count-1`, numbered by `epoch`."""

    epoch: int
    host_count: int

    def owner(self, key: str) -> int:
        return owner_of(key, self.host_count)


def host_name(index: int) -> str:
    return f"room-host-{index}"


def _score(key: bytes, index: int) -> int:
    digest = blake2b(key, digest_size=8, person=index.to_bytes(16, "little")).digest()
    return int.from_bytes(digest, "little")


@lru_cache(maxsize=1 << 16)
def owner_of(key: str, host_count: int) -> int:
    encoded = key.encode()
    best, best_score = 0, -1
    for index in range(host_count):
        score = _score(encoded, index)
        if score > best_score:
            best, best_score = index, score
    return best
