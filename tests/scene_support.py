"""What the scene admin and ban tests share: scenes the fake upstreams know, and wallets."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from typing import Any

from tests.fakes.upstreams import FakeUpstreams

NO_RIGHTS = {
    "owner": False,
    "operator": False,
    "updateOperator": False,
    "updateManager": False,
    "approvedForAll": False,
}


def random_address() -> str:
    return "0x" + uuid.uuid4().hex + uuid.uuid4().hex[:8]


@dataclass
class Scene:
    """A land scene (or a world scene) whose place the fake Places API knows."""

    fake: FakeUpstreams
    place_id: str
    parcel: str
    realm: str
    scene_id: str
    world: bool

    @property
    def room(self) -> str:
        if self.world:
            return f"world-prod-scene-room-{self.realm}-{self.scene_id}"
        return f"scene-{self.realm}:{self.scene_id}"

    def metadata(self, signer: str = "decentraland-kernel-scene") -> dict[str, Any]:
        hostname = "worlds-content-server.decentraland.org" if self.world else "peer.org"
        return {
            "signer": signer,
            "sceneId": self.scene_id,
            "parcel": self.parcel,
            "realm": {"serverName": self.realm, "hostname": hostname, "protocol": "v3"},
        }

    def rights(self, address: str, **flags: bool) -> None:
        """What the lambdas say `address` may do on the scene's land."""
        x, y = self.parcel.split(",")
        self.fake.reply(
            "GET",
            f"/lambdas/users/{address.lower()}/parcels/{x}/{y}/permissions",
            json={**NO_RIGHTS, **flags},
        )

    def operators(self, owner: str, operator: str | None = None) -> None:
        x, y = self.parcel.split(",")
        self.fake.reply(
            "GET",
            f"/lambdas/parcels/{x}/{y}/operators",
            json={
                "owner": owner,
                "operator": operator,
                "updateOperator": None,
                "updateManagers": [],
                "approvedForAll": [],
            },
        )


def land_scene(fake: FakeUpstreams) -> Scene:
    parcel = f"{random.randint(-150, 150)},{random.randint(1000, 900_000)}"
    place_id = str(uuid.uuid4())
    fake.reply(
        "GET",
        "/places-api/places",
        query={"positions": parcel},
        json={
            "data": [
                {"id": place_id, "title": "Land", "positions": [parcel], "base_position": parcel}
            ]
        },
    )
    return Scene(fake, place_id, parcel, "main", f"bafkrei{uuid.uuid4().hex}", world=False)


def world_scene(fake: FakeUpstreams, owner: str = "", streamers: tuple[str, ...] = ()) -> Scene:
    world = f"w{uuid.uuid4().hex[:10]}.dcl.eth"
    parcel = "0,0"
    place_id = str(uuid.uuid4())
    fake.reply(
        "GET",
        "/places-api/places",
        query={"positions": parcel, "names": world},
        json={
            "data": [
                {
                    "id": place_id,
                    "title": "World scene",
                    "positions": [parcel],
                    "base_position": parcel,
                    "world": True,
                    "world_name": world,
                }
            ]
        },
    )
    fake.reply(
        "GET",
        f"/worlds/world/{world}/permissions",
        json={
            "owner": owner,
            "permissions": {
                "deployment": {"type": "allow-list", "wallets": []},
                "access": {"type": "unrestricted"},
                "streaming": {"type": "allow-list", "wallets": list(streamers)},
            },
        },
    )
    return Scene(fake, place_id, parcel, world, f"bafkrei{uuid.uuid4().hex}", world=True)


def no_names(fake: FakeUpstreams, *addresses: str) -> None:
    for address in addresses:
        fake.reply("GET", f"/lambdas/users/{address.lower()}/names", json={"elements": []})
