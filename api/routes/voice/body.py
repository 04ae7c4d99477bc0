"""Reading JSON bodies and reporting schema failures as the reference's validator words them.

A failure is `{"ok": false, "message": "Invalid JSON body", "data": [<one error>]}` with the
error's `instancePath`, `schemaPath`, `keyword`, `params` and `message`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from fastapi import Request

from config.errors import InvalidBodyError, InvalidRequestError

ADDRESS = re.compile(r"^0x[a-fA-F0-9]{40}$")
NOT_BLANK = re.compile(r"^\S+.*$")


async def json_body(request: Request) -> Any:
    """The parsed body; 400 with the parser's complaint when it is not JSON."""
    raw = await request.body()
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidBodyError(str(error)) from None


async def loose_json_body(request: Request) -> Any:
    """The parsed body, for handlers that answer `{"error": "Invalid request body"}`."""
    raw = await request.body()
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequestError("Invalid request body") from None


def invalid(
    path: str, schema_path: str, keyword: str, params: dict[str, Any], message: str
) -> InvalidBodyError:
    return InvalidBodyError(
        "Invalid JSON body",
        [
            {
                "instancePath": path,
                "schemaPath": schema_path,
                "keyword": keyword,
                "params": params,
                "message": message,
            }
        ],
    )


def require_object(body: Any, required: Sequence[str]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid("", "#/type", "type", {"type": "object"}, "must be object")
    for name in required:
        if name not in body:
            raise invalid(
                "",
                "#/required",
                "required",
                {"missingProperty": name},
                f"must have required property '{name}'",
            )
    return body


def require_string(
    value: Any, name: str, pattern: re.Pattern[str] | None = None, min_length: int = 0
) -> str:
    path = f"/{name}"
    if not isinstance(value, str):
        raise invalid(
            path, f"#/properties/{name}/type", "type", {"type": "string"}, "must be string"
        )
    if len(value) < min_length:
        raise invalid(
            path,
            f"#/properties/{name}/minLength",
            "minLength",
            {"limit": min_length},
            f"must NOT have fewer than {min_length} characters",
        )
    if pattern is not None and not pattern.match(value):
        raise invalid(
            path,
            f"#/properties/{name}/pattern",
            "pattern",
            {"pattern": pattern.pattern},
            f'must match pattern "{pattern.pattern}"',
        )
    return value


def require_enum(value: Any, name: str, allowed: Sequence[str]) -> str:
    if value not in allowed or not isinstance(value, str):
        raise invalid(
            f"/{name}",
            f"#/properties/{name}/enum",
            "enum",
            {"allowedValues": list(allowed)},
            "must be equal to one of the allowed values",
        )
    return value


def require_boolean(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise invalid(
            f"/{name}", f"#/properties/{name}/type", "type", {"type": "boolean"}, "must be boolean"
        )
    return value


def require_string_list(
    value: Any,
    name: str,
    pattern: re.Pattern[str],
    *,
    exact_items: int | None = None,
) -> list[str]:
    path = f"/{name}"
    if not isinstance(value, list):
        raise invalid(path, f"#/properties/{name}/type", "type", {"type": "array"}, "must be array")
    if exact_items is not None and len(value) < exact_items:
        raise invalid(
            path,
            f"#/properties/{name}/minItems",
            "minItems",
            {"limit": exact_items},
            f"must NOT have fewer than {exact_items} items",
        )
    if exact_items is not None and len(value) > exact_items:
        raise invalid(
            path,
            f"#/properties/{name}/maxItems",
            "maxItems",
            {"limit": exact_items},
            f"must NOT have more than {exact_items} items",
        )
    for index, item in enumerate(value):
        item_path = f"{path}/{index}"
        if not isinstance(item, str):
            raise invalid(
                item_path,
                f"#/properties/{name}/items/type",
                "type",
                {"type": "string"},
                "must be string",
            )
        if not pattern.match(item):
            raise invalid(
                item_path,
                f"#/properties/{name}/items/pattern",
                "pattern",
                {"pattern": pattern.pattern},
                f'must match pattern "{pattern.pattern}"',
            )
    return list(value)
