"""The two JavaScript conversions the signed-fetch rules depend on: `Number(text)` and
`String(number)`, so timestamps parse and echo the way the reference does."""

from __future__ import annotations

import math
import re

# What `String.prototype.trim` removes (WhiteSpace and LineTerminator).
_JS_SPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_RADIX = {"0x": 16, "0X": 16, "0o": 8, "0O": 8, "0b": 2, "0B": 2}
_RADIX_DIGITS = {16: "0123456789abcdefABCDEF", 8: "01234567", 2: "01"}


def js_number(text: str) -> float:
    """`Number(text)`: NaN where JavaScript gives NaN, infinities where it gives them."""
    body = text.strip(_JS_SPACE)
    if not body:
        return 0.0
    if body in ("Infinity", "+Infinity"):
        return math.inf
    if body == "-Infinity":
        return -math.inf
    radix = _RADIX.get(body[:2])
    if radix is not None:
        digits = body[2:]
        if not digits or any(char not in _RADIX_DIGITS[radix] for char in digits):
            return math.nan
        try:
            return float(int(digits, radix))
        except OverflowError:
            return math.inf
    if _DECIMAL.fullmatch(body) is None:
        return math.nan
    return float(body)


def js_number_text(value: float) -> str:
    """`String(value)` for the numbers that end up in messages."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    mantissa, marker, exponent = text.partition("e")
    if not marker:
        return text
    sign = "-" if exponent.startswith("-") else "+"
    return f"{mantissa}e{sign}{exponent.lstrip('+-').lstrip('0') or '0'}"
