"""`Date.parse` for the expiration line of an ephemeral message.

Covers what clients actually send: the ISO forms of ECMAScript (with `Z`, with an offset,
date only, and date-time without a zone, which V8 reads as local time) plus the RFC 2822 form
V8's fallback parser also understands. Anything else is unparseable, as `NaN` would be.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_tz

_ISO = re.compile(
    r"(?P<year>[+-]\d{6}|\d{4})"
    r"(?:-(?P<month>\d{2})(?:-(?P<day>\d{2}))?)?"
    r"(?:[Tt ](?P<hour>\d{2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?)?"
    r"(?P<zone>[Zz]|[+-]\d{2}:?\d{2})?",
    re.ASCII,
)
# ECMAScript time values are limited to ±100 000 000 days around the epoch.
_MAX_TIME_MS = 8_640_000_000_000_000


def js_date_parse(text: str) -> int | None:
    """Milliseconds since the epoch, or None where `Date.parse` gives NaN."""
    match = _ISO.fullmatch(text.strip())
    millis = _from_iso(match) if match is not None else _from_rfc2822(text)
    if millis is None or abs(millis) > _MAX_TIME_MS:
        return None
    return millis


def _from_iso(match: re.Match[str]) -> int | None:
    parts = match.groupdict()
    if parts["year"] == "-000000":
        return None
    year = int(parts["year"])
    month = int(parts["month"] or 1)
    day = int(parts["day"] or 1)
    hour = int(parts["hour"] or 0)
    minute = int(parts["minute"] or 0)
    second = int(parts["second"] or 0)
    millisecond = int((parts["fraction"] or "0")[:3].ljust(3, "0"))

    extra_day = False
    if hour == 24:
        # ISO allows 24:00 as the end of a day, and nothing later.
        if minute or second or millisecond:
            return None
        hour, extra_day = 0, True
    if minute > 59 or second > 59:
        return None

    zone = _zone(parts["zone"], date_only=parts["hour"] is None)
    try:
        moment = _moment(year, month, day, hour, minute, second, millisecond, zone)
    except (ValueError, OverflowError):
        return None
    if extra_day:
        moment += 86_400_000
    return moment


def _zone(text: str | None, *, date_only: bool) -> timezone | None:
    if text is None:
        # Date-only forms are UTC; date-time forms without a zone are local time.
        return UTC if date_only else None
    if text in ("Z", "z"):
        return UTC
    digits = text[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return timezone(-offset if text[0] == "-" else offset)


def _moment(
    year: int,
    month: int,
    day: int,
    hour: int,
    minute: int,
    second: int,
    millisecond: int,
    zone: timezone | None,
) -> int:
    if 1 <= year <= 9999:
        stamp = datetime(year, month, day, hour, minute, second, tzinfo=zone)
        if zone is None:
            stamp = stamp.astimezone(UTC)
        return int(stamp.timestamp()) * 1000 + millisecond
    # Years outside datetime's range: count days by hand (proleptic Gregorian, UTC).
    datetime(2000, month, day)  # validates month and day
    days = _days_from_civil(year, month, day)
    offset = zone.utcoffset(None) if zone is not None else timedelta(0)
    assert offset is not None
    seconds = days * 86_400 + hour * 3600 + minute * 60 + second
    return (seconds - int(offset.total_seconds())) * 1000 + millisecond


def _days_from_civil(year: int, month: int, day: int) -> int:
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - 719_468


def _from_rfc2822(text: str) -> int | None:
    parsed = parsedate_tz(text)
    if parsed is None:
        return None
    year, month, day, hour, minute, second = parsed[:6]
    try:
        stamp = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    offset = parsed[9]
    if offset is None:
        return int(stamp.astimezone(UTC).timestamp()) * 1000
    return int(stamp.replace(tzinfo=UTC).timestamp() - offset) * 1000
