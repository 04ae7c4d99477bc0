"""Authentication as FastAPI dependencies, on top of `integrations.signed_fetch`."""

from api.auth.bearer import require_service_token
from api.auth.moderator import Moderator, moderator_for_read, moderator_for_write
from api.auth.scene_request import (
    LegacySceneRequest,
    SceneRequest,
    legacy_scene_request,
    legacy_scene_request_of,
    scene_request,
    scene_request_of,
)
from api.auth.services import AuthServices, auth_services, install_auth
from api.auth.signed_fetch import (
    explorer_signed_fetch,
    handler_signed_fetch,
    moderation_signed_fetch,
    optional_signed_fetch_guard,
    request_headers,
    request_path,
    scene_or_server_signed_fetch,
    scene_signed_fetch,
    signed_fetch_guard,
    verified,
)

__all__ = [
    "AuthServices",
    "LegacySceneRequest",
    "Moderator",
    "SceneRequest",
    "auth_services",
    "explorer_signed_fetch",
    "handler_signed_fetch",
    "install_auth",
    "legacy_scene_request",
    "legacy_scene_request_of",
    "moderation_signed_fetch",
    "moderator_for_read",
    "moderator_for_write",
    "optional_signed_fetch_guard",
    "request_headers",
    "request_path",
    "require_service_token",
    "scene_or_server_signed_fetch",
    "scene_request",
    "scene_request_of",
    "scene_signed_fetch",
    "signed_fetch_guard",
    "verified",
]
