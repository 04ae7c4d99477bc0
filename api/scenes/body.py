"""Reading scene request bodies: JSON parsing and the two "target" schemas.

POST /scene-admin and POST /scene-bans take an object naming one wallet, by address or by DCL
name. Failures answer in the schema validator's shape, `{"ok": false, "message": "Invalid
JSON body", "data": [<error>]}`, one error in Ajv's layout (the first one found).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from config.errors import InvalidBodyError, InvalidRequestError

ADDRESS_PATTERN = "^0x[a-fA-F0-9]{40}$"
ADDRESS = re.compile(ADDRESS_PATTERN)
INVALID_JSON_BODY = "Invalid JSON body"


def is_address(value: object) -> bool:
    return isinstance(value, str) and ADDRESS.match(value) is not None


def parse_json(raw: bytes) -> Any:
    """The body as JSON; raises ValueError with the parser's reason."""
    if not raw.strip():
        raise ValueError("Unexpected end of JSON input")
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"Invalid JSON: {error}") from None


async def schema_body(request: Request) -> Any:
    """The body for a schema-checked route; unparsable → 400 in the validator's shape."""
    try:
        return parse_json(await request.body())
    except ValueError as error:
        raise InvalidBodyError(str(error)) from None


async def handler_body(request: Request, message: str) -> Any:
    """The body for a route that parses it itself; unparsable → 400 `{"error": message}`."""
    try:
        return parse_json(await request.body())
    except ValueError:
        raise InvalidRequestError(message) from None


def _ajv(keyword: str, path: str, schema_path: str, params: dict[str, Any], text: str) -> Any:
    return {
        "instancePath": path,
        "schemaPath": schema_path,
        "keyword": keyword,
        "params": params,
        "message": text,
    }


@dataclass(frozen=True)
class Target:
    """A wallet named by address (wins when both are given) or by DCL name."""

    address: str | None
    name: str | None


def check_target(body: Any, address_key: str, name_key: str) -> Target:
    """Validate `{<address_key>?: address, <name_key>?: string}` with at least one of them."""
    if not isinstance(body, dict):
        error = _ajv("type", "", "#/type", {"type": "object"}, "must be object")
        raise InvalidBodyError(INVALID_JSON_BODY, [error])
    for key in body:
        if key not in (address_key, name_key):
            error = _ajv(
                "additionalProperties",
                "",
                "#/additionalProperties",
                {"additionalProperty": key},
                "must NOT have additional properties",
            )
            raise InvalidBodyError(INVALID_JSON_BODY, [error])
    for key in (address_key, name_key):
        if key in body and not isinstance(body[key], str):
            error = _ajv(
                "type", f"/{key}", f"#/properties/{key}/type", {"type": "string"}, "must be string"
            )
            raise InvalidBodyError(INVALID_JSON_BODY, [error])
    address = body.get(address_key)
    if address is not None and not is_address(address):
        error = _ajv(
            "pattern",
            f"/{address_key}",
            f"#/properties/{address_key}/pattern",
            {"pattern": ADDRESS_PATTERN},
            f'must match pattern "{ADDRESS_PATTERN}"',
        )
        raise InvalidBodyError(INVALID_JSON_BODY, [error])
    name = body.get(name_key)
    if address is None and not name:
        # An empty name names nobody; it counts as missing.
        error = _ajv(
            "required",
            "",
            "#/anyOf/0/required",
            {"missingProperty": address_key},
            f"must have required property '{address_key}'",
        )
        raise InvalidBodyError(INVALID_JSON_BODY, [error])
    return Target(address=address.lower() if address else None, name=name or None)


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
