"""Signed-fetch (ADR-44) verification, free of any web framework so room hosts and jobs can
use it too. `contract/signed-fetch.md` is the rule book; `SignedFetchVerifier.verify` is the
entry point."""

from integrations.signed_fetch.catalyst import CatalystSignatureChecker
from integrations.signed_fetch.chain import AuthLink, EphemeralCache
from integrations.signed_fetch.guards import (
    AUTHORITATIVE_SERVER_SIGNER,
    EXPLORER_SIGNER,
    SCENE_SIGNER,
    not_signed_by_scene,
    signed_by_explorer,
    signed_by_scene,
    signed_by_scene_or_server,
)
from integrations.signed_fetch.verifier import (
    Clock,
    MetadataGuard,
    SignedFetchVerifier,
    Verification,
    join_headers,
    wall_clock_ms,
)

__all__ = [
    "AUTHORITATIVE_SERVER_SIGNER",
    "EXPLORER_SIGNER",
    "SCENE_SIGNER",
    "AuthLink",
    "CatalystSignatureChecker",
    "Clock",
    "EphemeralCache",
    "MetadataGuard",
    "SignedFetchVerifier",
    "Verification",
    "join_headers",
    "not_signed_by_scene",
    "signed_by_explorer",
    "signed_by_scene",
    "signed_by_scene_or_server",
    "wall_clock_ms",
]
