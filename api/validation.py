"""Request bodies checked against JSON schemas, failing in the reference's shapes.

A body that is not JSON answers 400 `{"ok": false, "message": <parser error>}`; one that breaks
its schema answers 400 `{"ok": false, "message": "Invalid JSON body", "data": [<error>]}`, where
the error is the first one found, described as Ajv describes it (instancePath, schemaPath,
keyword, params, message), since clients of the reference read those fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import Request
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

from config.errors import InvalidBodyError

Schema = Mapping[str, Any]


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


async def valid_body(request: Request, schema: Draft7Validator) -> dict[str, Any]:
    """The body, parsed and checked; raises InvalidBodyError in the reference's shape."""
    body = await read_json(request)
    check(body, schema)
    assert isinstance(body, dict)
    return body


def check(value: Any, schema: Draft7Validator) -> None:
    error = next(iter(sorted(schema.iter_errors(value), key=_order)), None)
    if error is not None:
        raise InvalidBodyError("Invalid JSON body", [ajv_error(error)])


def _order(error: ValidationError) -> tuple[int, str]:
    # Ajv stops at the first failing keyword in schema order; the shallowest error is closest.
    return (len(error.path), "/".join(str(part) for part in error.schema_path))


def ajv_error(error: ValidationError) -> dict[str, Any]:
    keyword = str(error.validator)
    value: Any = error.validator_value
    instance: Any = error.instance
    schema: Any = error.schema
    params: dict[str, Any]
    path = list(error.path)
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
        extra = sorted(set(instance) - set(schema.get("properties", {})))
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
        "schemaPath": "#/" + "/".join(str(part) for part in error.schema_path),
        "keyword": keyword,
        "params": params,
        "message": message,
    }
