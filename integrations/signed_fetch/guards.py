"""Route guards: which signer a route accepts, judged on the signed metadata."""

from __future__ import annotations

from typing import Any

SCENE_SIGNER = "decentraland-kernel-scene"
AUTHORITATIVE_SERVER_SIGNER = "dcl:authoritative-server"
EXPLORER_SIGNER = "dcl:explorer"


def signed_by_scene(metadata: dict[str, Any]) -> bool:
    return metadata.get("signer") == SCENE_SIGNER


def signed_by_scene_or_server(metadata: dict[str, Any]) -> bool:
    return metadata.get("signer") in (SCENE_SIGNER, AUTHORITATIVE_SERVER_SIGNER)


def signed_by_explorer(metadata: dict[str, Any]) -> bool:
    return metadata.get("signer") == EXPLORER_SIGNER


def not_signed_by_scene(metadata: dict[str, Any]) -> bool:
    """Moderation routes treat scene-signed requests as anonymous."""
    return metadata.get("signer") != SCENE_SIGNER
