"""The authentication dependencies over real HTTP: a uvicorn server on 127.0.0.1 running a
FastAPI app with the service's error handlers, requests signed with real keys, and fake
catalyst / feature-flag services on real sockets."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import Depends, FastAPI

from api.auth import (
    AuthServices,
    LegacySceneRequest,
    Moderator,
    SceneRequest,
    explorer_signed_fetch,
    handler_signed_fetch,
    install_auth,
    legacy_scene_request,
    moderation_signed_fetch,
    moderator_for_read,
    moderator_for_write,
    require_service_token,
    scene_or_server_signed_fetch,
    scene_request,
    scene_signed_fetch,
)
from api.errors import install_error_handlers
from integrations.feature_flags import ModeratorAllowList
from integrations.signed_fetch import (
    CatalystSignatureChecker,
    SignedFetchVerifier,
    Verification,
)
from tests.signing import Identity, chain_headers, link, make_identity, metadata_text
from tests.signing import signed_headers as sign

NOW = 1_767_225_600_000
WINDOW = 60_000
SERVICE_TOKEN = "service-secret"
MODERATOR_TOKEN = "moderator-secret"
SCENE = {
    "signer": "decentraland-kernel-scene",
    "sceneId": "bafkrei-scene",
    "parcel": "-9,-9",
    "realm": {"hostname": "peer.decentraland.org", "protocol": "v3", "serverName": "main"},
}
LEGACY = {"signer": "decentraland-kernel-scene", "realmName": "main", "sceneId": "bafkrei"}
MODERATOR_METADATA = {"signer": "dcl:moderator"}

# The application under test.

app = FastAPI()
install_error_handlers(app)


@app.post("/scene-admin")
async def add_admin(
    route: Verification = Depends(scene_signed_fetch),  # noqa: B008
    handler: Verification = Depends(handler_signed_fetch),  # noqa: B008
) -> dict[str, Any]:
    return {"address": route.address, "reused": route is handler}


@app.get("/scene-admin")
async def list_admins(
    route: Verification = Depends(scene_or_server_signed_fetch),  # noqa: B008
) -> dict[str, Any]:
    return {"address": route.address}


@app.get("/private-messages/token")
async def private_messages(
    route: Verification = Depends(explorer_signed_fetch),  # noqa: B008
) -> dict[str, Any]:
    return {"address": route.address}


@app.put("/cast/presenters/{participant}")
async def presenter(
    participant: str,
    route: Verification = Depends(scene_signed_fetch),  # noqa: B008
) -> dict[str, Any]:
    return {"address": route.address, "participant": participant}


@app.post("/get-scene-adapter")
async def scene_adapter(
    scene: LegacySceneRequest = Depends(legacy_scene_request),  # noqa: B008
) -> dict[str, Any]:
    return {"identity": scene.identity, "realmName": scene.realm_name}


@app.post("/get-server-scene-adapter")
async def server_scene_adapter(
    scene: SceneRequest = Depends(scene_request),  # noqa: B008
) -> dict[str, Any]:
    return {"identity": scene.identity, "realm": scene.realm_name, "isWorld": scene.is_world}


@app.get("/ban-status")
async def ban_status(_: None = Depends(require_service_token)) -> dict[str, Any]:
    return {"ok": True}


@app.get("/whoami")
async def whoami(
    route: Verification | None = Depends(moderation_signed_fetch),  # noqa: B008
) -> dict[str, Any]:
    return {"address": route.address if route else None}


@app.post("/users/{address}/bans")
async def ban(moderator: Moderator = Depends(moderator_for_write)) -> dict[str, Any]:  # noqa: B008
    return {"actor": moderator.actor, "byToken": moderator.by_token}


@app.get("/bans")
async def bans(moderator: Moderator = Depends(moderator_for_read)) -> dict[str, Any]:  # noqa: B008
    return {"actor": moderator.actor, "byToken": moderator.by_token}


# Servers.


def listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


def base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()
    return f"http://{host}:{port}"


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    sock = listening_socket()
    config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    # The socket already listens, so requests queue until the server accepts them.
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    yield base_url(sock)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


class FakeService:
    """An HTTP service on 127.0.0.1 answering with whatever the test sets."""

    def __init__(self) -> None:
        self.status = 200
        self.answer: Any = {}
        self.requests: list[tuple[str, dict[str, str], Any]] = []
        self.hold = threading.Event()
        self.held = False
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._respond(None)

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                self._respond(json.loads(self.rfile.read(length)))

            def _respond(self, body: Any) -> None:
                service.requests.append((self.path, dict(self.headers), body))
                if service.held:
                    service.hold.wait(timeout=30)
                raw = json.dumps(service.answer).encode()
                self.send_response(service.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def close(self) -> None:
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def catalyst() -> Iterator[FakeService]:
    service = FakeService()
    yield service
    service.close()


@pytest.fixture
def flags() -> Iterator[FakeService]:
    service = FakeService()
    yield service
    service.close()


@pytest.fixture
async def outside() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def closed_port_url() -> str:
    sock = listening_socket()
    url = base_url(sock)
    sock.close()
    return url


def install(
    outside: httpx.AsyncClient,
    *,
    catalyst_url: str | None = None,
    flags_url: str | None = None,
    moderator_token: str = MODERATOR_TOKEN,
    timeout_ms: int = 2_000,
) -> AuthServices:
    catalyst = CatalystSignatureChecker(outside, catalyst_url or closed_port_url(), timeout_ms)
    services = AuthServices(
        verifier=SignedFetchVerifier(window_ms=WINDOW, catalyst=catalyst, clock=lambda: NOW),
        moderators=ModeratorAllowList(
            outside, flags_url or closed_port_url(), timeout_ms, ttl_seconds=0
        ),
        service_token=SERVICE_TOKEN,
        moderator_token=moderator_token,
    )
    install_auth(app, services)
    return services


@pytest.fixture
async def client(app_url: str, outside: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    install(outside)
    async with httpx.AsyncClient(base_url=app_url) as http:
        yield http


@pytest.fixture(scope="module")
def alice() -> Identity:
    return make_identity(expiration_ms=NOW + 3_600_000)


def signed(
    who: Identity, method: str, path: str, metadata: Any = SCENE, ts: int = NOW
) -> dict[str, str]:
    return sign(who, method, path, metadata, ts)


# Signed fetch on scene routes.


async def test_scene_request_is_accepted_and_verified_once(
    client: httpx.AsyncClient, alice: Identity
) -> None:
    response = await client.post("/scene-admin", headers=signed(alice, "POST", "/scene-admin"))
    assert response.status_code == 200
    assert response.json() == {"address": alice.lower_address, "reused": True}


async def test_unsigned_request_gets_invalid_auth_chain(client: httpx.AsyncClient) -> None:
    response = await client.post("/scene-admin")
    assert response.status_code == 400
    assert response.json() == {"ok": False, "message": "Invalid Auth Chain"}


async def test_tampered_signature_gets_401(client: httpx.AsyncClient, alice: Identity) -> None:
    headers = signed(alice, "POST", "/scene-admin")
    entity = json.loads(headers["x-identity-auth-chain-2"])
    entity["signature"] = (
        entity["signature"][:-6]
        + ("0" if entity["signature"][-6] != "0" else "1")
        + entity["signature"][-5:]
    )
    headers["x-identity-auth-chain-2"] = json.dumps(entity)
    response = await client.post("/scene-admin", headers=headers)
    assert response.status_code == 401
    assert response.json()["message"].startswith("Invalid signature: ")


async def test_signature_for_another_path_gets_401(
    client: httpx.AsyncClient, alice: Identity
) -> None:
    response = await client.put(
        "/cast/presenters/bob", headers=signed(alice, "PUT", "/cast/presenters/alice")
    )
    assert response.status_code == 401
    assert "Invalid final authority" in response.json()["message"]


async def test_signature_for_another_method_gets_401(
    client: httpx.AsyncClient, alice: Identity
) -> None:
    response = await client.get("/scene-admin", headers=signed(alice, "POST", "/scene-admin"))
    assert response.status_code == 401
    assert "Expected: get:/scene-admin:" in response.json()["message"]


async def test_expired_ephemeral_key_gets_401(client: httpx.AsyncClient) -> None:
    stale = make_identity(expiration_ms=NOW - 1)
    response = await client.post("/scene-admin", headers=signed(stale, "POST", "/scene-admin"))
    assert response.status_code == 401
    assert "Ephemeral key expired" in response.json()["message"]


@pytest.mark.parametrize("offset", [-WINDOW, WINDOW])
async def test_timestamp_at_the_window_edge_passes(
    client: httpx.AsyncClient, alice: Identity, offset: int
) -> None:
    headers = signed(alice, "POST", "/scene-admin", ts=NOW + offset)
    assert (await client.post("/scene-admin", headers=headers)).status_code == 200


@pytest.mark.parametrize(
    ("offset", "start"),
    [(-WINDOW - 1, "Expired signature"), (WINDOW + 1, "Signature timestamp is too far")],
)
async def test_timestamp_past_the_window_edge_gets_401(
    client: httpx.AsyncClient, alice: Identity, offset: int, start: str
) -> None:
    headers = signed(alice, "POST", "/scene-admin", ts=NOW + offset)
    response = await client.post("/scene-admin", headers=headers)
    assert response.status_code == 401
    assert response.json()["message"].startswith(start)


async def test_eleven_links_get_400(client: httpx.AsyncClient, alice: Identity) -> None:
    headers = signed(alice, "POST", "/scene-admin")
    for index in range(3, 11):
        headers[f"x-identity-auth-chain-{index}"] = headers["x-identity-auth-chain-2"]
    response = await client.post("/scene-admin", headers=headers)
    assert response.status_code == 400
    assert response.json() == {
        "ok": False,
        "message": "Auth chain exceeds maximum length of 10",
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not json", "Invalid chain format: "),
        ('{"type":"SIGNER","payload":"invalid-signature"}', "Invalid chain format: malformed"),
    ],
)
async def test_broken_link_gets_400(
    client: httpx.AsyncClient, alice: Identity, value: str, message: str
) -> None:
    headers = signed(alice, "POST", "/scene-admin")
    headers["x-identity-auth-chain-1"] = value
    response = await client.post("/scene-admin", headers=headers)
    assert response.status_code == 400
    assert response.json()["message"].startswith(message)


@pytest.mark.parametrize("raw", ["[]", "7", '""'])
async def test_metadata_that_is_not_an_object_gets_400(
    client: httpx.AsyncClient, alice: Identity, raw: str
) -> None:
    headers = signed(alice, "POST", "/scene-admin")
    headers["x-identity-metadata"] = raw
    response = await client.post("/scene-admin", headers=headers)
    assert response.status_code == 400
    assert response.json() == {"ok": False, "message": f'Invalid chain metadata: "{raw}"'}


async def test_null_metadata_reaches_the_guard_as_empty(
    client: httpx.AsyncClient, alice: Identity
) -> None:
    payload = f"post:/scene-admin:{NOW}:null"
    from tests.signing import sign_payload

    headers = {
        **chain_headers(sign_payload(alice, payload)),
        "x-identity-timestamp": str(NOW),
        "x-identity-metadata": "null",
    }
    response = await client.post("/scene-admin", headers=headers)
    assert response.status_code == 400
    assert response.json() == {"ok": False, "message": "Invalid metadata content: {}"}
    optional = await client.get("/whoami", headers={**headers})
    assert optional.json() == {"address": None}


async def test_percent_encoded_path_is_verified_as_sent(
    client: httpx.AsyncClient, alice: Identity
) -> None:
    path = "/cast/presenters/stream%3Aplace-1"
    response = await client.put(path, headers=signed(alice, "PUT", path))
    assert response.status_code == 200
    assert response.json() == {"address": alice.lower_address, "participant": "stream:place-1"}

    decoded = "/cast/presenters/stream:place-1"
    refused = await client.put(path, headers=signed(alice, "PUT", decoded))
    assert refused.status_code == 401


async def test_query_string_is_not_signed(client: httpx.AsyncClient, alice: Identity) -> None:
    response = await client.post("/scene-admin?x=1", headers=signed(alice, "POST", "/scene-admin"))
    assert response.status_code == 200


async def test_header_names_in_any_case_are_read(
    client: httpx.AsyncClient, alice: Identity
) -> None:
    headers = {name.upper(): value for name, value in signed(alice, "POST", "/scene-admin").items()}
    response = await client.post("/scene-admin", headers=headers)
    assert response.status_code == 200


async def test_repeated_link_header_is_joined_and_refused(
    client: httpx.AsyncClient, alice: Identity
) -> None:
    headers = list(signed(alice, "POST", "/scene-admin").items())
    headers.append(("x-identity-auth-chain-0", headers[0][1]))
    response = await client.post("/scene-admin", headers=headers)
    assert response.status_code == 400
    assert response.json()["message"].startswith("Invalid chain format: ")


async def test_scene_route_refuses_an_explorer_signer(
    client: httpx.AsyncClient, alice: Identity
) -> None:
    metadata = {"signer": "dcl:explorer"}
    response = await client.post(
        "/scene-admin", headers=signed(alice, "POST", "/scene-admin", metadata)
    )
    assert response.status_code == 400
    assert response.json() == {
        "ok": False,
        "message": 'Invalid metadata content: {"signer":"dcl:explorer"}',
    }


async def test_scene_admin_list_accepts_the_authoritative_server(
    client: httpx.AsyncClient, alice: Identity
) -> None:
    server = {"signer": "dcl:authoritative-server"}
    ok = await client.get("/scene-admin", headers=signed(alice, "GET", "/scene-admin", server))
    assert ok.status_code == 200
    other = {"signer": "dcl:explorer"}
    refused = await client.get("/scene-admin", headers=signed(alice, "GET", "/scene-admin", other))
    assert refused.status_code == 400


async def test_explorer_route_wants_the_explorer_signer(
    client: httpx.AsyncClient, alice: Identity
) -> None:
    path = "/private-messages/token"
    explorer = {"signer": "dcl:explorer", "deviceIdentifier": "Device-1"}
    ok = await client.get(path, headers=signed(alice, "GET", path, explorer))
    assert ok.json() == {"address": alice.lower_address}
    refused = await client.get(path, headers=signed(alice, "GET", path, SCENE))
    assert refused.status_code == 400


async def test_optional_mode_passes_without_identity(
    client: httpx.AsyncClient, alice: Identity
) -> None:
    assert (await client.get("/whoami")).json() == {"address": None}
    scene = await client.get("/whoami", headers=signed(alice, "GET", "/whoami"))
    assert scene.json() == {"address": None}
    moderator = signed(alice, "GET", "/whoami", MODERATOR_METADATA)
    assert (await client.get("/whoami", headers=moderator)).json() == {
        "address": alice.lower_address
    }


# Handler-level verification (/get-scene-adapter, /get-server-scene-adapter).


async def test_scene_adapter_failure_is_access_denied(client: httpx.AsyncClient) -> None:
    response = await client.post("/get-scene-adapter")
    assert response.status_code == 401
    assert response.json() == {"error": "Access denied, invalid signed-fetch request"}


async def test_scene_adapter_needs_a_realm_name(client: httpx.AsyncClient, alice: Identity) -> None:
    path = "/get-scene-adapter"
    ok = await client.post(path, headers=signed(alice, "POST", path, LEGACY))
    assert ok.json() == {"identity": alice.lower_address, "realmName": "main"}
    missing = await client.post(path, headers=signed(alice, "POST", path, SCENE))
    assert missing.status_code == 401
    assert missing.json() == {"error": "Access denied, invalid signed-fetch request, no realmName"}


async def test_server_scene_adapter_needs_a_realm(
    client: httpx.AsyncClient, alice: Identity
) -> None:
    path = "/get-server-scene-adapter"
    any_signer = {**SCENE, "signer": "anything"}
    ok = await client.post(path, headers=signed(alice, "POST", path, any_signer))
    assert ok.json() == {"identity": alice.lower_address, "realm": "main", "isWorld": False}
    missing = await client.post(path, headers=signed(alice, "POST", path, LEGACY))
    assert missing.json() == {"error": "Access denied, invalid signed-fetch request, no realm"}


# Service bearer token.


@pytest.mark.parametrize(
    ("authorization", "status", "body"),
    [
        (None, 401, {"error": "Authorization header is missing"}),
        ("Bearer wrong", 401, {"error": "Invalid authorization header"}),
        (f"Basic {SERVICE_TOKEN}", 401, {"error": "Invalid authorization header"}),
        ("Bearer", 401, {"error": "Invalid authorization header"}),
        (f"Bearer {SERVICE_TOKEN}", 200, {"ok": True}),
    ],
)
async def test_service_token(
    client: httpx.AsyncClient, authorization: str | None, status: int, body: dict[str, Any]
) -> None:
    headers = {"authorization": authorization} if authorization is not None else {}
    response = await client.get("/ban-status", headers=headers)
    assert (response.status_code, response.json()) == (status, body)


# Contract wallets through the catalyst.


def contract_wallet_headers(owner: str, path: str) -> dict[str, str]:
    message = "Decentraland Login\nEphemeral address: 0xAbC\nExpiration: 2026-01-31T00:00:00.000Z"
    metadata = metadata_text(SCENE)
    payload = f"post:{path}:{NOW}:{metadata}".lower()
    chain = [
        link("SIGNER", owner),
        link("ECDSA_EIP_1654_EPHEMERAL", message, "0x" + "ab" * 80),
        link("ECDSA_EIP_1654_SIGNED_ENTITY", payload, "0x" + "cd" * 80),
    ]
    return {
        **chain_headers(chain),
        "x-identity-timestamp": str(NOW),
        "x-identity-metadata": metadata,
    }


WALLET = "0x" + "ab" * 20


async def contract_wallet_call(
    app_url: str, outside: httpx.AsyncClient, catalyst_url: str, timeout_ms: int = 2_000
) -> httpx.Response:
    install(outside, catalyst_url=catalyst_url, timeout_ms=timeout_ms)
    async with httpx.AsyncClient(base_url=app_url) as http:
        return await http.post(
            "/scene-admin", headers=contract_wallet_headers(WALLET, "/scene-admin")
        )


async def test_contract_wallet_vouched_by_catalyst_passes(
    app_url: str, outside: httpx.AsyncClient, catalyst: FakeService
) -> None:
    catalyst.answer = {"valid": True, "ownerAddress": WALLET.upper().replace("0X", "0x")}
    response = await contract_wallet_call(app_url, outside, catalyst.url)
    assert response.json() == {"address": WALLET, "reused": True}
    path, _, body = catalyst.requests[0]
    assert path == "/lambdas/crypto/validate-signature"
    assert body["timestamp"].startswith(f"post:/scene-admin:{NOW}:")
    assert [item["type"] for item in body["authChain"]][1] == "ECDSA_EIP_1654_EPHEMERAL"


@pytest.mark.parametrize(
    "answer", [{"valid": False, "ownerAddress": WALLET}, {"valid": True, "ownerAddress": "0x1"}]
)
async def test_contract_wallet_refused_by_catalyst_gets_401(
    app_url: str, outside: httpx.AsyncClient, catalyst: FakeService, answer: dict[str, Any]
) -> None:
    catalyst.answer = answer
    response = await contract_wallet_call(app_url, outside, catalyst.url)
    assert (response.status_code, response.json()) == (
        401,
        {"ok": False, "message": "Invalid signature"},
    )


@pytest.mark.parametrize(("status", "answer"), [(500, {}), (200, {"nope": 1}), (200, [1])])
async def test_catalyst_bad_answer_gets_503(
    app_url: str, outside: httpx.AsyncClient, catalyst: FakeService, status: int, answer: Any
) -> None:
    catalyst.status, catalyst.answer = status, answer
    response = await contract_wallet_call(app_url, outside, catalyst.url)
    assert (response.status_code, response.json()) == (
        503,
        {"ok": False, "message": "Internal error"},
    )


async def test_unreachable_catalyst_gets_503(app_url: str, outside: httpx.AsyncClient) -> None:
    response = await contract_wallet_call(app_url, outside, closed_port_url())
    assert response.status_code == 503


async def test_slow_catalyst_times_out_with_503(
    app_url: str, outside: httpx.AsyncClient, catalyst: FakeService
) -> None:
    catalyst.held = True
    catalyst.answer = {"valid": True, "ownerAddress": WALLET}
    response = await contract_wallet_call(app_url, outside, catalyst.url, timeout_ms=200)
    catalyst.hold.set()
    assert response.status_code == 503
    assert len(catalyst.requests) == 1


# Moderators.


def flags_document(value: str, enabled: bool = True) -> dict[str, Any]:
    key = "dapps-platform_user_moderators"
    variant = {"name": key, "enabled": enabled, "payload": {"type": "string", "value": value}}
    return {"flags": {key: enabled}, "variants": {key: variant}}


@pytest.fixture
async def moderation(
    app_url: str, outside: httpx.AsyncClient, flags: FakeService, alice: Identity
) -> AsyncIterator[httpx.AsyncClient]:
    flags.answer = flags_document(f"0x{'1' * 40},\n {alice.address} , not-an-address")
    install(outside, flags_url=flags.url)
    async with httpx.AsyncClient(base_url=app_url) as http:
        yield http


async def test_token_moderator_write_names_themselves(moderation: httpx.AsyncClient) -> None:
    auth = {"authorization": f"Bearer {MODERATOR_TOKEN}"}
    response = await moderation.post("/users/0xabc/bans?moderator= Jane.Doe_1 ", headers=auth)
    assert response.json() == {"actor": "jane.doe_1", "byToken": True}


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("", "Missing moderator query parameter"),
        ("?moderator=", "Missing moderator query parameter"),
        ("?moderator=bad%21name", "Invalid moderator query parameter."),
        ("?moderator=" + "a" * 101, "Invalid moderator query parameter."),
    ],
)
async def test_token_moderator_write_with_bad_name_gets_400(
    moderation: httpx.AsyncClient, query: str, error: str
) -> None:
    auth = {"authorization": f"Bearer {MODERATOR_TOKEN}"}
    response = await moderation.post(f"/users/0xabc/bans{query}", headers=auth)
    assert response.status_code == 400
    assert response.json()["error"].startswith(error)


async def test_token_moderator_reads_without_a_name(moderation: httpx.AsyncClient) -> None:
    auth = {"authorization": f"Bearer {MODERATOR_TOKEN}"}
    response = await moderation.get("/bans", headers=auth)
    assert response.json() == {"actor": "", "byToken": True}


async def test_allow_listed_wallet_moderates(
    moderation: httpx.AsyncClient, flags: FakeService, alice: Identity
) -> None:
    path = "/users/0xabc/bans"
    response = await moderation.post(path, headers=signed(alice, "POST", path, MODERATOR_METADATA))
    assert response.json() == {"actor": alice.lower_address, "byToken": False}
    assert flags.requests[0][0] == "/dapps.json"


async def test_scene_signed_moderator_is_anonymous(
    moderation: httpx.AsyncClient, alice: Identity
) -> None:
    response = await moderation.get("/bans", headers=signed(alice, "GET", "/bans", SCENE))
    assert response.status_code == 401
    assert response.json() == {"error": "You are not authorized to access this resource"}


async def test_wallet_off_the_allow_list_gets_401(moderation: httpx.AsyncClient) -> None:
    stranger = make_identity(expiration_ms=NOW + 60_000)
    headers = signed(stranger, "GET", "/bans", MODERATOR_METADATA)
    response = await moderation.get("/bans", headers=headers)
    assert response.status_code == 401


async def test_wrong_moderator_token_falls_back_to_the_wallet(
    moderation: httpx.AsyncClient, alice: Identity
) -> None:
    unsigned = await moderation.get("/bans", headers={"authorization": "Bearer nope"})
    assert unsigned.status_code == 401
    headers = {**signed(alice, "GET", "/bans", MODERATOR_METADATA), "authorization": "Bearer no"}
    assert (await moderation.get("/bans", headers=headers)).json()["actor"] == alice.lower_address


async def test_no_moderator_token_configured_refuses_any_bearer(
    app_url: str, outside: httpx.AsyncClient, flags: FakeService
) -> None:
    install(outside, flags_url=flags.url, moderator_token="")
    async with httpx.AsyncClient(base_url=app_url) as http:
        response = await http.get("/bans", headers={"authorization": "Bearer x"})
    assert response.status_code == 401


async def test_disabled_flag_means_no_moderators(
    moderation: httpx.AsyncClient, flags: FakeService, alice: Identity
) -> None:
    flags.answer = flags_document(alice.address, enabled=False)
    response = await moderation.get(
        "/bans", headers=signed(alice, "GET", "/bans", MODERATOR_METADATA)
    )
    assert response.status_code == 401


async def test_allow_list_parses_and_drops_invalid_entries(
    outside: httpx.AsyncClient, flags: FakeService, alice: Identity
) -> None:
    flags.answer = flags_document(f"0x{'1' * 40},\n {alice.address} , not-an-address")
    allow_list = ModeratorAllowList(outside, flags.url, 2_000)
    assert await allow_list.addresses() == frozenset({"0x" + "1" * 40, alice.lower_address})


async def test_allow_list_keeps_the_stale_copy_when_the_service_fails(
    outside: httpx.AsyncClient, flags: FakeService, alice: Identity
) -> None:
    flags.answer = flags_document(alice.address)
    allow_list = ModeratorAllowList(outside, flags.url, 2_000, ttl_seconds=0)
    assert await allow_list.contains(alice.address)
    flags.status = 500
    assert await allow_list.contains(alice.address)
    assert len(flags.requests) == 2


async def test_allow_list_is_empty_when_the_service_never_answered(
    outside: httpx.AsyncClient,
) -> None:
    allow_list = ModeratorAllowList(outside, closed_port_url(), 2_000)
    assert await allow_list.addresses() == frozenset()


async def test_allow_list_asks_once_for_concurrent_callers(
    outside: httpx.AsyncClient, flags: FakeService, alice: Identity
) -> None:
    import asyncio

    flags.answer = flags_document(alice.address)
    allow_list = ModeratorAllowList(outside, flags.url, 2_000)
    results = await asyncio.gather(*(allow_list.contains(alice.address) for _ in range(5)))
    assert results == [True] * 5
    assert len(flags.requests) == 1
