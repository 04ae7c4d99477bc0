"""Request bodies checked against JSON schemas, failing in the reference's shapes.

A body that is not JSON answers 400 `{"ok": false, "message": <parser error>}`; one that breaks
its schema answers 400 `{"ok": false, "message": "Invalid JSON body", "data": [<error>]}`, where
the error is the first one found, described as Ajv describes it (instancePath, schemaPath,
keyword, params, message), since clients of the reference read those fields. Routes that word
their own complaint about unparsable bodies read them with `read_json_or`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from fastapi import Request
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

from config.errors import InvalidBodyError, InvalidRequestError

Schema = Mapping[str, Any]

ADDRESS_PATTERN = "^0x[a-fA-F0-9]{40}$"
ADDRESS = re.compile(ADDRESS_PATTERN)
NOT_BLANK_PATTERN = r"^\S+.*$"

# Keywords whose errors lie inside the value; Ajv reaches them after the value's own keywords.
_DESCENDING = frozenset(
    ("properties", "items", "additionalItems", "patternProperties", "contains", "propertyNames")
)


def is_address(value: object) -> bool:
    return isinstance(value, str) and ADDRESS.match(value) is not None


def validator(schema: Schema) -> Draft7Validator:
    """Compile a schema once, at import time of the route that uses it."""
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


async def read_json(request: Request) -> Any:
    """The request body as JSON, whatever the Content-Type (the reference ignores it too)."""
    raw = await request.body()
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise InvalidBodyError(str(error)) from None


async def read_json_or(request: Request, message: str) -> Any:
    """The body as JSON, for routes answering 400 `{"error": message}` when it is not."""
    try:
        return await read_json(request)
    except InvalidBodyError:
        raise InvalidRequestError(message) from None


async def valid_body(request: Request, schema: Draft7Validator) -> dict[str, Any]:
    """The body, parsed and checked; raises InvalidBodyError in the reference's shape."""
    body = await read_json(request)
    check(body, schema)
    assert isinstance(body, dict)
    return body


def check(value: Any, schema: Draft7Validator) -> None:
    error = _first(schema.iter_errors(value), schema.schema)
    if error is None:
        return
    if error.validator == "anyOf" and error.context:
        # Ajv lists a failed anyOf's branch errors before the anyOf itself.
        error = _first(error.context, schema.schema) or error
    raise InvalidBodyError("Invalid JSON body", [ajv_error(error)])


def _first(errors: Iterable[ValidationError], root: Any) -> ValidationError | None:
    return next(iter(sorted(errors, key=lambda error: _order(error, root))), None)


def _order(error: ValidationError, root: Any) -> tuple[tuple[int, str, int], ...]:
    # Ajv stops at the first failing keyword: a value's own keywords (by name) come before
    # those inside it, properties in the order the schema lists them, items in index order.
    key: list[tuple[int, str, int]] = []
    node: Any = root
    naming_property = False
    for part in error.absolute_schema_path:
        if naming_property:
            names = list(node) if isinstance(node, Mapping) else []
            key.append((0, "", names.index(part) if part in names else len(names)))
            naming_property = False
        elif isinstance(part, int):
            key.append((0, "", part))
        else:
            key.append((1 if part in _DESCENDING else 0, part, 0))
            naming_property = part == "properties"
        node = _child(node, part)
    return tuple(key)


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, Mapping):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and part < len(node):
        return node[part]
    return None


def ajv_error(error: ValidationError) -> dict[str, Any]:
    keyword = str(error.validator)
    value: Any = error.validator_value
    instance: Any = error.instance
    schema: Any = error.schema
    params: dict[str, Any]
    path = list(error.absolute_path)
    if keyword == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        params, message = {"missingProperty": missing}, f"must have required property '{missing}'"
    elif keyword == "type":
        shown = value if isinstance(value, str) else ",".join(value)
        params, message = {"type": value}, f"must be {shown}"
    elif keyword == "enum":
        params, message = {"allowedValues": value}, "must be equal to one of the allowed values"
    elif keyword == "pattern":
        params, message = {"pattern": value}, f'must match pattern "{value}"'
    elif keyword in ("minLength", "minItems", "minProperties"):
        unit = {"minLength": "characters", "minItems": "items", "minProperties": "properties"}
        params, message = {"limit": value}, f"must NOT have fewer than {value} {unit[keyword]}"
    elif keyword in ("maxLength", "maxItems", "maxProperties"):
        unit = {"maxLength": "characters", "maxItems": "items", "maxProperties": "properties"}
        params, message = {"limit": value}, f"must NOT have more than {value} {unit[keyword]}"
    elif keyword == "additionalProperties":
        # Ajv names the first extra property in the body's own order.
        extra = [key for key in instance if key not in schema.get("properties", {})]
        params = {"additionalProperty": extra[0] if extra else ""}
        message = "must NOT have additional properties"
    elif keyword in ("exclusiveMinimum", "minimum", "exclusiveMaximum", "maximum"):
        sign = {"exclusiveMinimum": ">", "minimum": ">=", "exclusiveMaximum": "<", "maximum": "<="}
        params = {"comparison": sign[keyword], "limit": value}
        message = f"must be {sign[keyword]} {value}"
    elif keyword in ("anyOf", "oneOf"):
        params, message = {}, f"must match a schema in {keyword}"
    else:
        params, message = {}, error.message
    return {
        "instancePath": "".join(f"/{part}" for part in path),
        "schemaPath": "#/" + "/".join(str(part) for part in error.absolute_schema_path),
        "keyword": keyword,
        "params": params,
        "message": message,
    }
