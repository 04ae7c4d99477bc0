"""Echoing client input in error messages without echoing all of it."""

from __future__ import annotations

CLIP_AT = 64


def clip(text: str, limit: int = CLIP_AT) -> str:
    """`text` cut to `limit` characters, with `…` marking the cut."""
    return text if len(text) <= limit else text[:limit] + "…"
