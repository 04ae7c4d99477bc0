"""POST /get-scene-adapter and POST /get-server-scene-adapter: LiveKit tokens for scenes.

These are the service's busiest routes, so they are plain Starlette endpoints: FastAPI's
dependency solving and parameter parsing cost more than the token itself, and the routes need
neither (no query, no body). Errors still reach the app's handlers as raised.
"""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request, Response

from api.auth import legacy_scene_request, scene_request
from api.dependencies import get_runtime
from api.scenes.adapters import SceneAdapters

router = APIRouter()


def scene_adapters(request: Request) -> SceneAdapters:
    """The front's token issuer, made on first use."""
    state = request.app.state
    adapters: SceneAdapters | None = getattr(state, "scene_adapters", None)
    if adapters is None:
        adapters = SceneAdapters(get_runtime(request))
        state.scene_adapters = adapters
    return adapters


def _adapter(url: str) -> Response:
    return Response(orjson.dumps({"adapter": url}), media_type="application/json")


async def get_scene_adapter(request: Request) -> Response:
    scene = await legacy_scene_request(request)
    ip = request.headers.get("cf-connecting-ip") or None
    return _adapter(await scene_adapters(request).scene_adapter(scene, ip))


async def get_server_scene_adapter(request: Request) -> Response:
    scene = await scene_request(request)
    return _adapter(await scene_adapters(request).server_scene_adapter(scene))


router.add_route("/get-scene-adapter", get_scene_adapter, methods=["POST"])
router.add_route("/get-server-scene-adapter", get_server_scene_adapter, methods=["POST"])
