"""Body validation answers in the reference's shapes (Ajv-style error objects)."""

from __future__ import annotations

from typing import Any

import pytest

from api.validation import check, validator
from config.errors import InvalidBodyError

SCHEMA = validator(
    {
        "type": "object",
        "properties": {
            "user_addresses": {
                "type": "array",
                "minItems": 2,
                "maxItems": 2,
                "items": {"type": "string", "pattern": "^0x[a-fA-F0-9]{40}$"},
            },
            "user_role": {"type": "string", "enum": ["owner", "member"]},
            "duration": {"type": "number", "exclusiveMinimum": 0},
            "reason": {"type": "string", "minLength": 1},
        },
        "required": ["reason"],
        "additionalProperties": False,
    }
)


def first_error(body: Any) -> dict[str, Any]:
    with pytest.raises(InvalidBodyError) as raised:
        check(body, SCHEMA)
    assert raised.value.status == 400
    assert raised.value.message == "Invalid JSON body"
    assert raised.value.data is not None
    [error] = raised.value.data
    return error


def test_missing_property_is_named() -> None:
    error = first_error({})
    assert error == {
        "instancePath": "",
        "schemaPath": "#/required",
        "keyword": "required",
        "params": {"missingProperty": "reason"},
        "message": "must have required property 'reason'",
    }


def test_enum_error_points_at_the_field() -> None:
    error = first_error({"reason": "r", "user_role": "invalid_role"})
    assert error["instancePath"] == "/user_role"
    assert error["keyword"] == "enum"
    assert error["params"] == {"allowedValues": ["owner", "member"]}


def test_item_errors_carry_their_index() -> None:
    error = first_error({"reason": "r", "user_addresses": ["0x" + "a" * 40, "nope"]})
    assert error["instancePath"] == "/user_addresses/1"
    assert error["keyword"] == "pattern"


def test_limits_types_and_extra_properties() -> None:
    assert first_error({"reason": ""})["message"] == "must NOT have fewer than 1 characters"
    assert first_error({"reason": 3})["message"] == "must be string"
    assert first_error({"reason": "r", "duration": 0})["message"] == "must be > 0"
    extra = first_error({"reason": "r", "other": 1})
    assert extra["params"] == {"additionalProperty": "other"}
    assert first_error({"reason": "r", "user_addresses": ["0x" + "a" * 40]})["params"] == {
        "limit": 2
    }


def test_a_valid_body_passes() -> None:
    check({"reason": "spam", "duration": 10, "user_role": "owner"}, SCHEMA)
