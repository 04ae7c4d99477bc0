"""Voice figures: one community call with 500 listeners, speakers changing, a webhook burst.

Runs the application in this process (lifespan, real PostgreSQL in a throwaway database, a local
Ray with two room hosts, the fake LiveKit on 127.0.0.1; SNS off) and drives it over ASGI:
  1. 501 tokens (one moderator creates the call, 500 listeners join);
  2. a burst of 5,000 signed LiveKit webhooks: four rounds of join + leave per listener, a final
     join, and a second delivery of that final join (duplicates), in waves of 500 concurrent
     requests (each listener's events stay in order);
  3. 200 requests to speak at once, then 100 promotions (the oldest requests) and 50
     demotions;
then checks the database, the room's memory and the fake LiveKit hold exactly the expected
state, and prints operations/s and p99 for each phase.

    .venv/bin/python bench/voice.py
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from livekit import api

from actors.keys import community_key
from api.app import create_app
from config.settings import Settings
from storage.migrate import migrate
from tests.fakes.livekit import FakeLiveKit, signed_webhook, webhook_event

SERVER = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
KEY, SECRET = "bench-key", "bench-secret-long-enough-for-hs256-000000"
TOKEN = "bench-service-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LISTENERS = 500
SIGNAL_CLOSE = 9


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def timed(
    samples: list[float], call: Callable[[], Awaitable[httpx.Response | AsgiResponse]]
) -> httpx.Response | AsgiResponse:
    start = time.perf_counter()
    response = await call()
    samples.append(time.perf_counter() - start)
    if response.status_code != 200:
        raise SystemExit(f"unexpected answer {response.status_code}: {response.text}")
    return response


def report(name: str, count: int, seconds: float, samples: list[float]) -> None:
    print(
        f"{name:<28} {count:>6} ops  {count / seconds:>9,.0f} ops/s  "
        f"p99 {p99(samples) * 1000:>7.1f} ms"
    )


class AsgiResponse:
    """Just what `timed` reads of an answer."""

    def __init__(self, status_code: int, text: str) -> None:
        self.status_code = status_code
        self.text = text


async def asgi_post(app: object, path: str, body: bytes, headers: dict[str, str]) -> AsgiResponse:
    """POST straight into the ASGI app: the figures then leave out an HTTP client's cost."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
        "app": app,
    }
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, object]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, object]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])  # type: ignore[call-overload]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))  # type: ignore[arg-type]

    await app(scope, receive, send)  # type: ignore[operator]
    return AsgiResponse(status, b"".join(chunks).decode())


def signed(event: api.WebhookEvent) -> tuple[bytes, dict[str, str]]:
    body, token = signed_webhook(event, KEY, SECRET)
    return body.encode(), {"Authorization": token, "Content-Type": "application/webhook+json"}


async def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    name = f"gatekeeper_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(SERVER)
    await admin.execute(f'CREATE DATABASE "{name}"')
    database = SERVER.rsplit("/", 1)[0] + f"/{name}"
    await migrate(database)
    try:
        with FakeLiveKit(api_key=KEY, api_secret=SECRET) as livekit:
            await run(database, livekit)
    finally:
        import ray

        ray.shutdown()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def run(database: str, livekit: FakeLiveKit) -> None:
    settings = Settings(
        ENV="test",
        PG_COMPONENT_PSQL_CONNECTION_STRING=database,  # type: ignore[arg-type]
        PROD_LIVEKIT_HOST=livekit.url,
        PROD_LIVEKIT_API_KEY=KEY,
        PROD_LIVEKIT_API_SECRET=SECRET,  # type: ignore[arg-type]
        COMMS_GATEKEEPER_AUTH_TOKEN=TOKEN,  # type: ignore[arg-type]
        ROOM_HOSTS=2,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", timeout=60
        ) as http:
            await scenario(app, http, livekit)


async def scenario(app: object, http: httpx.AsyncClient, livekit: FakeLiveKit) -> None:
    runtime = app.state.runtime  # type: ignore[attr-defined]
    community_id = f"bench-{uuid.uuid4().hex[:8]}"
    room = f"voice-chat-community-{community_id}"
    moderator = "0x" + secrets.token_hex(20)
    listeners = ["0x" + secrets.token_hex(20) for _ in range(LISTENERS)]

    # 1. Tokens.
    samples: list[float] = []
    start = time.perf_counter()
    await timed(
        samples,
        lambda: http.post(
            "/community-voice-chat",
            headers=AUTH,
            json={
                "community_id": community_id,
                "user_address": moderator,
                "action": "create",
                "user_role": "moderator",
            },
        ),
    )
    await asyncio.gather(
        *(
            timed(
                samples,
                lambda a=address: http.post(  # type: ignore[misc]
                    "/community-voice-chat",
                    headers=AUTH,
                    json={"community_id": community_id, "user_address": a, "action": "join"},
                ),
            )
            for address in listeners
        )
    )
    report("tokens (join the call)", len(samples), time.perf_counter() - start, samples)
    for address in [moderator, *listeners]:
        livekit.add_participant(room, address)

    # 2. Webhook burst, signed beforehand as LiveKit would.
    waves: list[list[tuple[bytes, dict[str, str]]]] = []
    for round_ in range(4):
        waves.append(
            [signed(_joined(room, a, f"PA_{i}_{round_}")) for i, a in enumerate(listeners)]
        )
        waves.append([signed(_left(room, a, f"PA_{i}_{round_}")) for i, a in enumerate(listeners)])
    final = [signed(_joined(room, a, f"PA_{i}_final")) for i, a in enumerate(listeners)]
    waves.extend([final, final])
    samples = []
    profiler = None
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    start = time.perf_counter()
    cpu = time.process_time()
    for wave in waves:
        await asyncio.gather(
            *(
                timed(
                    samples,
                    lambda b=body, h=headers: asgi_post(  # type: ignore[misc]
                        app, "/livekit-webhook", b, h
                    ),
                )
                for body, headers in wave
            )
        )
    report("webhooks (join/leave burst)", len(samples), time.perf_counter() - start, samples)
    print(f"  front process CPU for the burst: {time.process_time() - cpu:.2f} s")
    if profiler is not None:
        import pstats

        profiler.disable()
        stats = pstats.Stats(profiler).sort_stats(os.environ["BENCH_PROFILE"])
        stats.print_stats(45)
        stats.print_callers("__getitem__|__contains__")

    # 3. Requests to speak, promotions, demotions.
    requesters = listeners[:200]
    samples = []
    start = time.perf_counter()
    await asyncio.gather(
        *(
            timed(
                samples,
                lambda a=a: http.post(  # type: ignore[misc]
                    f"/community-voice-chat/{community_id}/users/{a}/speak-request", headers=AUTH
                ),
            )
            for a in requesters
        )
    )
    report("requests to speak", len(samples), time.perf_counter() - start, samples)
    key = community_key(community_id)
    _, queue = await runtime.rooms.call(key, "speakers_and_queue")
    promoted, demoted = queue[:100], queue[:50]
    samples = []
    start = time.perf_counter()
    await asyncio.gather(
        *(
            timed(
                samples,
                lambda a=a: http.post(  # type: ignore[misc]
                    f"/community-voice-chat/{community_id}/users/{a}/speaker", headers=AUTH
                ),
            )
            for a in promoted
        )
    )
    await asyncio.gather(
        *(
            timed(
                samples,
                lambda a=a: http.delete(  # type: ignore[misc]
                    f"/community-voice-chat/{community_id}/users/{a}/speaker", headers=AUTH
                ),
            )
            for a in demoted
        )
    )
    report("promotions + demotions", len(samples), time.perf_counter() - start, samples)

    await check(runtime, livekit, key, room, moderator, listeners, queue, promoted, demoted)
    print("final state: database, room memory and fake LiveKit as expected")


async def check(
    runtime: object,
    livekit: FakeLiveKit,
    key: str,
    room: str,
    moderator: str,
    listeners: list[str],
    queue: list[str],
    promoted: list[str],
    demoted: list[str],
) -> None:
    rooms = runtime.rooms  # type: ignore[attr-defined]
    pool = runtime.pool  # type: ignore[attr-defined]
    rows = {
        r["address"]: (r["status"], r["sid"], r["is_moderator"])
        for r in await pool.fetch(
            "SELECT address, status, sid, is_moderator FROM community_voice_chat_users "
            "WHERE room_name = $1",
            room,
        )
    }
    expected: dict[str, tuple[str, str | None, bool]] = {
        a: ("connected", f"PA_{i}_final", False) for i, a in enumerate(listeners)
    }
    expected[moderator] = ("not_connected", None, True)
    assert rows == expected, "database rows differ"
    members = {
        m.address: (m.status, m.sid, m.is_moderator) for m in await rooms.call(key, "members")
    }
    assert members == expected, "room memory differs from the database"

    speakers, waiting = await rooms.call(key, "speakers_and_queue")
    still_speaking = sorted({moderator, *promoted} - set(demoted))
    assert speakers == still_speaking, "speakers differ"
    assert waiting == queue[100:], "queue of requests differs"
    assert len(set(queue)) == 200

    for address in listeners[:200]:
        metadata = livekit.participant_metadata(room, address)
        participant = livekit.participant(room, address)
        assert participant is not None
        if address in promoted and address not in demoted:
            assert metadata == {"isRequestingToSpeak": False, "isSpeaker": True}
            assert participant.permission.can_publish
        elif address in demoted:
            assert metadata == {"isRequestingToSpeak": False, "isSpeaker": False}
            assert not participant.permission.can_publish
        else:
            assert metadata == {"isRequestingToSpeak": True}


def _joined(room: str, identity: str, sid: str) -> api.WebhookEvent:
    return webhook_event(
        "participant_joined",
        room=api.Room(name=room),
        participant=api.ParticipantInfo(identity=identity, sid=sid),
    )


def _left(room: str, identity: str, sid: str) -> api.WebhookEvent:
    return webhook_event(
        "participant_left",
        room=api.Room(name=room),
        participant=api.ParticipantInfo(
            identity=identity,
            sid=sid,
            disconnect_reason=SIGNAL_CLOSE,  # type: ignore[arg-type]
        ),
    )


if __name__ == "__main__":
    asyncio.run(main())
