"""The outside services a front process talks to, built once from the settings."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from config.settings import Settings
from integrations.catalyst import CatalystClient
from integrations.denylist import DenyList
from integrations.http import create_http_client
from integrations.lambdas import LambdasClient
from integrations.land_leases import LandLeases
from integrations.livekit.ingress import LiveKitIngress
from integrations.livekit.room_names import RoomNames
from integrations.livekit.rooms import LiveKitRooms
from integrations.notifications import NotificationSender
from integrations.places import PlacesClient
from integrations.sns import EventPublisher
from integrations.social import SocialClient
from integrations.worlds import WorldsClient


@dataclass
class Services:
    http: httpx.AsyncClient
    names: RoomNames
    places: PlacesClient
    worlds: WorldsClient
    lambdas: LambdasClient
    catalyst: CatalystClient
    deny_list: DenyList
    leases: LandLeases
    social: SocialClient
    notifications: NotificationSender
    livekit: LiveKitRooms
    ingress: LiveKitIngress
    events: EventPublisher

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        http = create_http_client(settings)
        worlds = WorldsClient(http, settings)
        return cls(
            http=http,
            names=RoomNames.from_settings(settings),
            places=PlacesClient(http, settings, worlds),
            worlds=worlds,
            lambdas=LambdasClient(http, settings),
            catalyst=CatalystClient(http, settings),
            deny_list=DenyList(http, settings),
            leases=LandLeases(http, settings),
            social=SocialClient(http, settings),
            notifications=NotificationSender(http, settings),
            livekit=LiveKitRooms.from_settings(settings),
            ingress=LiveKitIngress.from_settings(settings),
            events=EventPublisher(settings),
        )

    async def close(self) -> None:
        await self.events.drain()
        await self.livekit.close()
        await self.ingress.close()
        await self.http.aclose()
