"""Signed-fetch verification speed: the verifier core only, no HTTP.

cold: every request carries a fresh ephemeral key (two recoveries per request);
warm: one ephemeral key for all (its recovery comes from the cache).

Run: .venv/bin/python -m bench.auth [requests]
"""

from __future__ import annotations

import asyncio
import sys
import time

from eth_account import Account

from integrations.signed_fetch import EphemeralCache, SignedFetchVerifier, signed_by_scene
from tests.signing import make_identity, signed_headers

NOW = 1_767_225_600_000
PATH = "/scene-admin"
METADATA = {
    "origin": "https://decentraland.org",
    "sceneId": "bafkreigzgxbrmj5ihfi7xwwdx3vmgk4mzlbl6gmypvgfcbv2evdtm5cxam",
    "parcel": "-9,-9",
    "realm": {"hostname": "peer.decentraland.org", "protocol": "v3", "serverName": "main"},
    "signer": "decentraland-kernel-scene",
}


def requests(count: int, fresh_keys: bool) -> list[dict[str, str]]:
    owner = Account.create()
    shared = make_identity(owner=owner, expiration_ms=NOW + 3_600_000)
    signed = []
    for index in range(count):
        identity = (
            make_identity(owner=owner, expiration_ms=NOW + 3_600_000) if fresh_keys else shared
        )
        signed.append(signed_headers(identity, "POST", PATH, METADATA, NOW - index % 1000))
    return signed


async def run(batch: list[dict[str, str]]) -> float:
    verifier = SignedFetchVerifier(clock=lambda: NOW, cache=EphemeralCache())
    await verifier.verify("POST", PATH, batch[0], signed_by_scene)
    # CPU time of this process: wall time is unreliable on a shared machine.
    start = time.process_time()
    for headers in batch:
        await verifier.verify("POST", PATH, headers, signed_by_scene)
    return time.process_time() - start


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    for label, fresh in (
        ("cold (fresh ephemeral keys)", True),
        ("warm (one ephemeral key)", False),
    ):
        batch = requests(count, fresh)
        elapsed = min(asyncio.run(run(batch)) for _ in range(3))
        print(
            f"{label:30} {count} requests  {count / elapsed:8.0f} verifications/s  "
            f"{elapsed / count * 1e6:7.1f} µs/request (CPU)"
        )


if __name__ == "__main__":
    main()
