"""A fake LiveKit server speaking LiveKit's own wire protocol over a real socket.

It answers the Twirp server API (`POST /twirp/livekit.RoomService/<Method>` and
`POST /twirp/livekit.Ingress/<Method>`, the paths livekit-api uses) with livekit-protocol
messages, in `application/protobuf` or `application/json` (protobuf JSON), checks the
API-key JWT in `Authorization: Bearer` the way LiveKit does, and keeps rooms, participants
and ingresses in memory. Every accepted call is recorded; failures and delays can be
injected; participants can be added and removed directly, as if clients joined and left.

It also signs webhooks exactly as LiveKit does: a protobuf-JSON `WebhookEvent` body and a
raw JWT in `Authorization` carrying `sha256` = base64(SHA-256(body)).

    with FakeLiveKit(api_key="devkey", api_secret="...") as livekit:
        rooms = LiveKitRooms(livekit.url, "devkey", "...")
        livekit.add_participant("room-1", "0xabc")
        ...
        assert livekit.calls("RemoveParticipant")[0].request.identity == "0xabc"

The server runs on its own event loop in a background thread, so it serves sync tests,
async tests and other processes alike. `python -m tests.fakes.livekit` runs it standalone.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import secrets
import signal
import string
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

import aiohttp
from aiohttp import web
from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from livekit import api

DEFAULT_API_KEY = "devkey"
DEFAULT_API_SECRET = "secret"  # the well-known pair of `livekit-server --dev`

ROOM_NOT_FOUND = "requested room does not exist"
PARTICIPANT_NOT_FOUND = "participant does not exist"
TRACK_NOT_FOUND = "track is not found"
INGRESS_NOT_FOUND = "ingress does not exist"

# LiveKit accepts tokens a little outside their validity window.
_CLOCK_LEEWAY_SECONDS = 60

_TWIRP_STATUS = {
    "canceled": 408,
    "unknown": 500,
    "invalid_argument": 400,
    "malformed": 400,
    "deadline_exceeded": 408,
    "not_found": 404,
    "bad_route": 404,
    "already_exists": 409,
    "permission_denied": 403,
    "unauthenticated": 401,
    "resource_exhausted": 429,
    "failed_precondition": 412,
    "aborted": 409,
    "out_of_range": 400,
    "unimplemented": 501,
    "internal": 500,
    "unavailable": 503,
    "dataloss": 500,
}

_PROTOBUF = "application/protobuf"
_JSON = "application/json"

_ID_ALPHABET = string.ascii_letters + string.digits


class TwirpError(Exception):
    """An error answer, in Twirp's JSON error shape."""

    def __init__(self, code: str, msg: str) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg

    def response(self) -> web.Response:
        return web.json_response(
            {"code": self.code, "msg": self.msg}, status=_TWIRP_STATUS.get(self.code, 500)
        )


@dataclass
class Call:
    """One accepted request: which method, and the request message as the server read it."""

    service: str
    method: str
    request: Any  # the livekit-protocol request message, e.g. api.UpdateParticipantRequest
    content_type: str
    at: float


@dataclass
class _Injected:
    remaining: int | None  # None: until reset
    code: str | None = None
    msg: str = ""
    delay: float = 0.0
    disconnect: bool = False


@dataclass
class _Room:
    info: api.Room
    participants: dict[str, api.ParticipantInfo] = field(default_factory=dict)


Handler = Callable[[Any], Message]


@dataclass(frozen=True)
class _Method:
    request_type: type[Message]
    grant: str  # the video grant LiveKit requires: roomList, roomCreate, roomAdmin, ingressAdmin
    handler: Handler


class FakeLiveKit:
    """The fake server; `start()`/`stop()` or use it as a context manager."""

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        api_secret: str = DEFAULT_API_SECRET,
        host: str = "127.0.0.1",
        port: int = 0,
        rtmp_url: str = "rtmp://127.0.0.1:1935/x",
    ) -> None:
        self.api_key = api_key
        self.api_secret = api_secret
        self.host = host
        self.port = port
        self.rtmp_url = rtmp_url

        self._state = threading.Condition()
        self._rooms: dict[str, _Room] = {}
        self._ingresses: dict[str, api.IngressInfo] = {}
        self._calls: list[Call] = []
        self._refused: list[tuple[str, str]] = []
        self._injected: dict[str, list[_Injected]] = {}

        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._release: asyncio.Event | None = None
        self._methods = self._method_table()

    # Life cycle.

    @property
    def url(self) -> str:
        """The server-API base URL (`http://127.0.0.1:<port>`), as livekit-api accepts it."""
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        """The same server as a client would be told to reach it (`ws://...`)."""
        return f"ws://{self.host}:{self.port}"

    def start(self) -> FakeLiveKit:
        if self._thread is not None:
            return self
        ready = threading.Event()
        failure: list[BaseException] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._serve, args=(ready, failure), name="fake-livekit", daemon=True
        )
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._thread is None or self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._release_delays)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._thread = None

    def __enter__(self) -> FakeLiveKit:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _serve(self, ready: threading.Event, failure: list[BaseException]) -> None:
        assert self._loop is not None
        loop = self._loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._open())
        except BaseException as error:
            failure.append(error)
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            assert self._runner is not None
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

    async def _open(self) -> None:
        self._release = asyncio.Event()
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self._handle)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()
        address = self._runner.addresses[0]
        self.port = int(address[1])

    def _release_delays(self) -> None:
        if self._release is not None:
            self._release.set()
            self._release = asyncio.Event()

    # What tests read and arrange.

    def reset(self) -> None:
        """Forget rooms, participants, ingresses, calls and injected failures."""
        with self._state:
            self._rooms.clear()
            self._ingresses.clear()
            self._calls.clear()
            self._refused.clear()
            self._injected.clear()
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._release_delays)

    def calls(self, method: str | None = None) -> list[Call]:
        """Accepted calls in arrival order, all or those of one method (e.g. "ListRooms")."""
        with self._state:
            return [call for call in self._calls if method is None or call.method == method]

    def methods_called(self) -> list[str]:
        with self._state:
            return [call.method for call in self._calls]

    def clear_calls(self) -> None:
        with self._state:
            self._calls.clear()
            self._refused.clear()

    def refused(self) -> list[tuple[str, str]]:
        """Requests refused for their credentials: (method, reason)."""
        with self._state:
            return list(self._refused)

    def wait_for_calls(self, method: str, count: int = 1, within: float = 5.0) -> list[Call]:
        """Block until `count` calls of `method` were accepted; AssertionError after `within` s."""
        deadline = time.monotonic() + within
        with self._state:
            while True:
                found = [call for call in self._calls if call.method == method]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{method} called {len(found)} times, wanted {count}")
                self._state.wait(left)

    async def wait_for_calls_async(
        self, method: str, count: int = 1, within: float = 5.0
    ) -> list[Call]:
        """`wait_for_calls` for async tests, without blocking their event loop."""
        return await asyncio.to_thread(self.wait_for_calls, method, count, within)

    def fail_next(
        self, method: str, code: str = "internal", msg: str = "injected failure", times: int = 1
    ) -> None:
        """Answer the next `times` calls of `method` with Twirp error `code`."""
        self._inject(method, _Injected(remaining=times, code=code, msg=msg))

    def fail_always(self, method: str, code: str = "internal", msg: str = "injected") -> None:
        """Answer every call of `method` with Twirp error `code` until `reset()`."""
        self._inject(method, _Injected(remaining=None, code=code, msg=msg))

    def delay_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Hold the next `times` answers to `method` for `seconds` (cut short by reset/stop)."""
        self._inject(method, _Injected(remaining=times, delay=seconds))

    def disconnect_next(self, method: str, times: int = 1) -> None:
        """Close the connection instead of answering the next `times` calls of `method`."""
        self._inject(method, _Injected(remaining=times, disconnect=True))

    def _inject(self, method: str, injected: _Injected) -> None:
        if method not in self._methods:
            raise ValueError(f"the fake does not serve {method}")
        with self._state:
            self._injected.setdefault(method, []).append(injected)

    # State, as clients joining and leaving would change it.

    def add_room(self, name: str, metadata: str = "") -> api.Room:
        with self._state:
            room = self._rooms.get(name)
            if room is None:
                room = self._new_room(name, metadata=metadata)
            elif metadata:
                room.info.metadata = metadata
            return _copy(room.info)

    def room(self, name: str) -> api.Room | None:
        with self._state:
            room = self._rooms.get(name)
            return None if room is None else self._room_info(room)

    def room_names(self) -> list[str]:
        with self._state:
            return list(self._rooms)

    def room_metadata(self, name: str) -> dict[str, Any]:
        """The room's metadata parsed as JSON (`{}` when empty); KeyError if no such room."""
        with self._state:
            text = self._rooms[name].info.metadata
        return json.loads(text) if text else {}

    def add_participant(
        self,
        room: str,
        identity: str,
        *,
        metadata: str = "",
        name: str = "",
        permission: api.ParticipantPermission | None = None,
        tracks: Iterable[api.TrackInfo] = (),
    ) -> api.ParticipantInfo:
        """A client joins `room` (created if needed) as `identity`."""
        now = time.time()
        info = api.ParticipantInfo(
            sid=_new_id("PA_"),
            identity=identity,
            name=name,
            metadata=metadata,
            state=api.ParticipantInfo.State.ACTIVE,
            joined_at=int(now),
            joined_at_ms=int(now * 1000),
            kind=api.ParticipantInfo.Kind.STANDARD,
            tracks=list(tracks),
        )
        info.permission.CopyFrom(
            permission
            or api.ParticipantPermission(
                can_subscribe=True, can_publish=True, can_publish_data=True
            )
        )
        with self._state:
            target = self._rooms.get(room) or self._new_room(room)
            target.participants[identity] = info
            return _copy(info)

    def remove_participant(self, room: str, identity: str) -> None:
        """A client leaves; nothing happens if it was not there."""
        with self._state:
            target = self._rooms.get(room)
            if target is not None:
                target.participants.pop(identity, None)

    def participant(self, room: str, identity: str) -> api.ParticipantInfo | None:
        with self._state:
            target = self._rooms.get(room)
            info = None if target is None else target.participants.get(identity)
            return None if info is None else _copy(info)

    def participant_metadata(self, room: str, identity: str) -> dict[str, Any]:
        """The participant's metadata parsed as JSON; KeyError if not in the room."""
        info = self.participant(room, identity)
        if info is None:
            raise KeyError(f"{identity} is not in {room}")
        return json.loads(info.metadata) if info.metadata else {}

    def identities(self, room: str) -> list[str]:
        with self._state:
            target = self._rooms.get(room)
            return [] if target is None else list(target.participants)

    def ingresses(self) -> list[api.IngressInfo]:
        with self._state:
            return [_copy(info) for info in self._ingresses.values()]

    def _new_room(self, name: str, metadata: str = "", max_participants: int = 0) -> _Room:
        now = time.time()
        room = _Room(
            api.Room(
                sid=_new_id("RM_"),
                name=name,
                metadata=metadata,
                creation_time=int(now),
                creation_time_ms=int(now * 1000),
                empty_timeout=300,
                departure_timeout=20,
                max_participants=max_participants,
            )
        )
        self._rooms[name] = room
        return room

    def _room_info(self, room: _Room) -> api.Room:
        info = _copy(room.info)
        info.num_participants = len(room.participants)
        return info

    # The wire.

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self._answer(request)
        except TwirpError as error:
            return error.response()

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        service, method = _route(request.path)
        if request.method != "POST":
            raise TwirpError("bad_route", f"unsupported method {request.method} (only POST)")
        served = self._methods.get(method)
        if served is None or service != _service_of(method):
            raise TwirpError("bad_route", f"no handler for path {request.path}")
        content_type = request.content_type
        if content_type not in (_PROTOBUF, _JSON):
            raise TwirpError("bad_route", f"unexpected Content-Type: {content_type!r}")

        claims = self._authorize(method, served.grant, request.headers.get("Authorization"))
        message = _parse(served.request_type, await request.read(), content_type)
        if served.grant == "roomAdmin":
            self._check_room_grant(method, claims, message)

        with self._state:
            self._calls.append(Call(service, method, message, content_type, time.time()))
            injected = self._take_injected(method)
            self._state.notify_all()

        if injected is not None and injected.delay and self._release is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._release.wait(), injected.delay)
        if injected is not None and injected.disconnect:
            if request.transport is not None:
                request.transport.close()
            return web.Response()
        if injected is not None and injected.code is not None:
            raise TwirpError(injected.code, injected.msg)

        with self._state:
            answer = served.handler(message)
        return _respond(answer, content_type)

    def _take_injected(self, method: str) -> _Injected | None:
        queue = self._injected.get(method)
        if not queue:
            return None
        injected = queue[0]
        if injected.remaining is not None:
            injected.remaining -= 1
            if injected.remaining <= 0:
                queue.pop(0)
        return injected

    def _authorize(self, method: str, grant: str, header: str | None) -> dict[str, Any]:
        try:
            if not header:
                raise TwirpError("unauthenticated", "no authorization header")
            scheme, _, token = header.partition(" ")
            if scheme != "Bearer" or not token:
                raise TwirpError(
                    "unauthenticated", "invalid authorization header. Must start with Bearer"
                )
            claims = self._verify(token)
            video = claims.get("video") or {}
            if not video.get(grant):
                raise TwirpError("permission_denied", "permissions denied")
        except TwirpError as error:
            with self._state:
                self._refused.append((method, error.msg))
            raise
        return claims

    def _check_room_grant(self, method: str, claims: dict[str, Any], message: Message) -> None:
        # LiveKit ties an admin grant to one room: the token's room must be the request's.
        granted = (claims.get("video") or {}).get("room", "")
        if granted != getattr(message, "room", None):
            with self._state:
                self._refused.append((method, "token grant is for another room"))
            raise TwirpError("permission_denied", "permissions denied")

    def _verify(self, token: str) -> dict[str, Any]:
        """HS256 with the configured secret, issuer = API key, inside its validity window."""
        parts = token.split(".")
        if len(parts) != 3:
            raise TwirpError("unauthenticated", "invalid authorization token")
        try:
            header = json.loads(_b64decode(parts[0]))
            claims = json.loads(_b64decode(parts[1]))
            signature = _b64decode(parts[2])
        except ValueError:
            raise TwirpError("unauthenticated", "invalid authorization token") from None
        if not isinstance(header, dict) or header.get("alg") != "HS256":
            raise TwirpError("unauthenticated", "invalid token algorithm")
        if not isinstance(claims, dict) or claims.get("iss") != self.api_key:
            raise TwirpError("unauthenticated", "invalid API key")
        expected = hmac.new(
            self.api_secret.encode(), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256
        ).digest()
        if not hmac.compare_digest(expected, signature):
            raise TwirpError("unauthenticated", "invalid token: signature is invalid")
        now = time.time()
        if "exp" in claims and now > float(claims["exp"]) + _CLOCK_LEEWAY_SECONDS:
            raise TwirpError("unauthenticated", "invalid token: token is expired")
        if "nbf" in claims and now < float(claims["nbf"]) - _CLOCK_LEEWAY_SECONDS:
            raise TwirpError("unauthenticated", "invalid token: token is not valid yet")
        return claims

    # RoomService and Ingress, as LiveKit answers them. Called with the state lock held.

    def _method_table(self) -> dict[str, _Method]:
        return {
            "CreateRoom": _Method(api.CreateRoomRequest, "roomCreate", self._create_room),
            "ListRooms": _Method(api.ListRoomsRequest, "roomList", self._list_rooms),
            "DeleteRoom": _Method(api.DeleteRoomRequest, "roomCreate", self._delete_room),
            "ListParticipants": _Method(
                api.ListParticipantsRequest, "roomAdmin", self._list_participants
            ),
            "GetParticipant": _Method(
                api.RoomParticipantIdentity, "roomAdmin", self._get_participant
            ),
            "RemoveParticipant": _Method(
                api.RoomParticipantIdentity, "roomAdmin", self._remove_participant
            ),
            "UpdateParticipant": _Method(
                api.UpdateParticipantRequest, "roomAdmin", self._update_participant
            ),
            "UpdateRoomMetadata": _Method(
                api.UpdateRoomMetadataRequest, "roomAdmin", self._update_room_metadata
            ),
            "MutePublishedTrack": _Method(
                api.MuteRoomTrackRequest, "roomAdmin", self._mute_published_track
            ),
            "CreateIngress": _Method(
                api.CreateIngressRequest, "ingressAdmin", self._create_ingress
            ),
            "ListIngress": _Method(api.ListIngressRequest, "ingressAdmin", self._list_ingress),
            "DeleteIngress": _Method(
                api.DeleteIngressRequest, "ingressAdmin", self._delete_ingress
            ),
        }

    def _existing_room(self, name: str) -> _Room:
        room = self._rooms.get(name)
        if room is None:
            raise TwirpError("not_found", ROOM_NOT_FOUND)
        return room

    def _existing_participant(self, room: str, identity: str) -> api.ParticipantInfo:
        info = self._existing_room(room).participants.get(identity)
        if info is None:
            raise TwirpError("not_found", PARTICIPANT_NOT_FOUND)
        return info

    def _create_room(self, request: api.CreateRoomRequest) -> Message:
        if not request.name:
            raise TwirpError("invalid_argument", "room name is required")
        room = self._rooms.get(request.name)
        if room is None:
            room = self._new_room(request.name, request.metadata, request.max_participants)
        return self._room_info(room)

    def _list_rooms(self, request: api.ListRoomsRequest) -> Message:
        wanted = set(request.names)
        rooms = [
            self._room_info(room)
            for name, room in self._rooms.items()
            if not wanted or name in wanted
        ]
        return api.ListRoomsResponse(rooms=rooms)

    def _delete_room(self, request: api.DeleteRoomRequest) -> Message:
        self._existing_room(request.room)
        del self._rooms[request.room]
        return api.DeleteRoomResponse()

    def _list_participants(self, request: api.ListParticipantsRequest) -> Message:
        room = self._existing_room(request.room)
        return api.ListParticipantsResponse(participants=list(room.participants.values()))

    def _get_participant(self, request: api.RoomParticipantIdentity) -> Message:
        return self._existing_participant(request.room, request.identity)

    def _remove_participant(self, request: api.RoomParticipantIdentity) -> Message:
        self._existing_participant(request.room, request.identity)
        del self._rooms[request.room].participants[request.identity]
        return api.RemoveParticipantResponse()

    def _update_participant(self, request: api.UpdateParticipantRequest) -> Message:
        info = self._existing_participant(request.room, request.identity)
        if request.metadata:
            info.metadata = request.metadata
        if request.name:
            info.name = request.name
        if request.HasField("permission"):
            info.permission.CopyFrom(request.permission)
        for key, value in request.attributes.items():
            info.attributes[key] = value
        return _copy(info)

    def _update_room_metadata(self, request: api.UpdateRoomMetadataRequest) -> Message:
        room = self._existing_room(request.room)
        room.info.metadata = request.metadata
        return self._room_info(room)

    def _mute_published_track(self, request: api.MuteRoomTrackRequest) -> Message:
        info = self._existing_participant(request.room, request.identity)
        for track in info.tracks:
            if track.sid == request.track_sid:
                track.muted = request.muted
                return api.MuteRoomTrackResponse(track=track)
        raise TwirpError("not_found", TRACK_NOT_FOUND)

    def _create_ingress(self, request: api.CreateIngressRequest) -> Message:
        if request.input_type == api.IngressInput.RTMP_INPUT and request.url:
            raise TwirpError("invalid_argument", "url is only for URL_INPUT")
        info = api.IngressInfo(
            ingress_id=_new_id("IN_"),
            name=request.name,
            stream_key=_new_id(""),
            url=self.rtmp_url,
            input_type=request.input_type,
            room_name=request.room_name,
            participant_identity=request.participant_identity,
            participant_name=request.participant_name,
            participant_metadata=request.participant_metadata,
            reusable=request.input_type != api.IngressInput.URL_INPUT,
            enabled=True,
            state=api.IngressState(status=api.IngressState.Status.ENDPOINT_INACTIVE),
        )
        self._ingresses[info.ingress_id] = info
        return _copy(info)

    def _list_ingress(self, request: api.ListIngressRequest) -> Message:
        items = [
            info
            for info in self._ingresses.values()
            if (not request.room_name or info.room_name == request.room_name)
            and (not request.ingress_id or info.ingress_id == request.ingress_id)
        ]
        return api.ListIngressResponse(items=items)

    def _delete_ingress(self, request: api.DeleteIngressRequest) -> Message:
        info = self._ingresses.pop(request.ingress_id, None)
        if info is None:
            raise TwirpError("not_found", INGRESS_NOT_FOUND)
        info.state.status = api.IngressState.Status.ENDPOINT_INACTIVE
        return info


# Webhooks, signed as LiveKit signs them.


def webhook_event(
    event: str,
    *,
    room: api.Room | None = None,
    participant: api.ParticipantInfo | None = None,
    ingress_info: api.IngressInfo | None = None,
) -> api.WebhookEvent:
    """A `WebhookEvent` of kind `event` (e.g. "participant_joined") with a fresh id and time."""
    message = api.WebhookEvent(event=event, id=_new_id("EV_"), created_at=int(time.time()))
    if room is not None:
        message.room.CopyFrom(room)
    if participant is not None:
        message.participant.CopyFrom(participant)
    if ingress_info is not None:
        message.ingress_info.CopyFrom(ingress_info)
    return message


def webhook_body(event: api.WebhookEvent) -> str:
    """The event as LiveKit posts it: protobuf JSON, camelCase names, defaults left out."""
    return json.dumps(json_format.MessageToDict(event), separators=(",", ":"))


def signed_webhook(event: api.WebhookEvent, api_key: str, api_secret: str) -> tuple[str, str]:
    """(body, Authorization header value) exactly as LiveKit sends them."""
    body = webhook_body(event)
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    token = (
        api.AccessToken(api_key, api_secret)
        .with_ttl(timedelta(minutes=5))
        .with_sha256(digest)
        .to_jwt()
    )
    return body, token


async def deliver(
    url: str,
    event: api.WebhookEvent,
    api_key: str,
    api_secret: str,
    *,
    within: float = 10.0,
) -> tuple[int, str]:
    """POST a signed webhook to `url`; the answer's (status, body text)."""
    body, authorization = signed_webhook(event, api_key, api_secret)
    headers = {"Authorization": authorization, "Content-Type": "application/webhook+json"}
    client_timeout = aiohttp.ClientTimeout(total=within)
    async with (
        aiohttp.ClientSession(timeout=client_timeout) as session,
        session.post(url, data=body.encode(), headers=headers) as response,
    ):
        return response.status, await response.text()


# Helpers.


def _route(path: str) -> tuple[str, str]:
    parts = path.strip("/").split("/")
    if len(parts) != 3 or parts[0] != "twirp" or not parts[1].startswith("livekit."):
        raise TwirpError("bad_route", f"no handler for path {path}")
    return parts[1].removeprefix("livekit."), parts[2]


def _service_of(method: str) -> str:
    return "Ingress" if method.endswith("Ingress") else "RoomService"


def _parse(message_type: type[Message], body: bytes, content_type: str) -> Message:
    message = message_type()
    try:
        if content_type == _PROTOBUF:
            message.ParseFromString(body)
        else:
            json_format.Parse(body or b"{}", message, ignore_unknown_fields=True)
    except (DecodeError, json_format.ParseError, UnicodeDecodeError) as error:
        raise TwirpError("malformed", f"the request could not be decoded: {error}") from None
    return message


def _respond(answer: Message, content_type: str) -> web.Response:
    if content_type == _PROTOBUF:
        return web.Response(body=answer.SerializeToString(), content_type=_PROTOBUF)
    # Twirp's JSON answers keep the proto field names and print every field.
    body = json_format.MessageToDict(
        answer, always_print_fields_with_no_presence=True, preserving_proto_field_name=True
    )
    return web.json_response(body)


M = TypeVar("M", bound=Message)


def _copy(message: M) -> M:
    duplicate = type(message)()
    duplicate.CopyFrom(message)
    return duplicate


def _new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))


def _b64decode(segment: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (ValueError, TypeError) as error:
        raise ValueError(str(error)) from None


@dataclass
class _Running:
    server: FakeLiveKit
    stopped: threading.Event = field(default_factory=threading.Event)


def _run_standalone(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the fake LiveKit server.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    parser.add_argument("--api-secret", default=DEFAULT_API_SECRET)
    options = parser.parse_args(argv)

    running = _Running(
        FakeLiveKit(api_key=options.api_key, api_secret=options.api_secret, port=options.port)
    )
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: running.stopped.set())
    with running.server:
        print(running.server.url, flush=True)  # the parent process reads the address
        running.stopped.wait()


if __name__ == "__main__":
    _run_standalone()
