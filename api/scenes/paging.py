"""Pages of a scene listing, from the `limit` and `offset` query parameters."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """A page of a listing: `limit` in 1..100 (else 100), offset snapped to a page start."""

    limit: int
    page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit

    def pages(self, total: int) -> int:
        return -(-total // self.limit)


def _integer(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        return None


def page_of(limit_text: str | None, offset_text: str | None) -> Page:
    limit = _integer(limit_text)
    if limit is None or not 1 <= limit <= 100:
        limit = 100
    offset = _integer(offset_text)
    if offset is None or offset < 0:
        offset = 0
    return Page(limit=limit, page=max(1, offset // limit + 1))
