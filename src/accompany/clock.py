"""The clock, injected: commands take ``--now`` (or a clock object) instead of
reading the wall clock inside the domain."""

from __future__ import annotations

import datetime as dt
import re
from typing import Protocol

from .models.deadlines import LOCAL_TZ
from .models.errors import InvalidInput


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FixedClock:
    """A clock that says what it is told (``--now``, tests, the demo's simulation)."""

    def __init__(self, moment: dt.datetime):
        if moment.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.moment = moment

    def now(self) -> dt.datetime:
        return self.moment

    def advance(self, **delta: float) -> dt.datetime:
        self.moment = self.moment + dt.timedelta(**delta)
        return self.moment


DATE_ONLY_HOUR = 9  # a bare date means the start of that working day in Beijing
# The forms people type (a date; a date and time, to the minute or second, with or
# without an offset): read by the standard library, which reads these the way
# pendulum does, without importing pendulum (~15 ms of a quick command's start-up).
# Anything else, and anything the standard library refuses, goes to pendulum.
_PLAIN_FORMS = re.compile(
    r"\d{4}-\d{2}-\d{2}|\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2})?"
)


def parse_moment(text: str, what: str = "--now") -> dt.datetime:
    """ISO 8601 date or date-time; without an offset it is Asia/Shanghai time, a
    bare date is 09:00 that day. Returns an aware UTC datetime."""
    raw = text.strip()
    if _PLAIN_FORMS.fullmatch(raw):
        try:
            parsed = dt.datetime.fromisoformat(raw)
        except ValueError:
            pass  # 24:00, a leap second …: pendulum's reading (or refusal), as before
        else:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=LOCAL_TZ)
            if len(raw) == 10:  # YYYY-MM-DD
                parsed = parsed.replace(hour=DATE_ONLY_HOUR)
            _in_range(parsed.year, what, text)
            return dt.datetime.fromtimestamp(parsed.timestamp(), dt.UTC)
    import pendulum

    unreadable = InvalidInput(
        "{option}: cannot read '{text}' as a date or time (e.g. 2026-03-15T10:00)",
        option=what,
        text=text[:60],
    )
    # pendulum's lenient parser skips what it does not understand (a NUL, a word), so
    # only the characters of an ISO date-time reach it
    if not re.fullmatch(r"[0-9T:+\-. Z]{4,40}", raw):
        raise unreadable
    try:
        parsed = pendulum.parse(raw, tz=LOCAL_TZ.key, strict=False)
    except (ValueError, pendulum.parsing.exceptions.ParserError):
        raise unreadable from None
    if not isinstance(parsed, dt.datetime):
        if isinstance(parsed, dt.date):
            parsed = pendulum.datetime(parsed.year, parsed.month, parsed.day, tz=LOCAL_TZ.key)
        else:
            raise InvalidInput("{option}: '{text}' is not a date or time", option=what, text=text[:60])
    if len(raw) == 10:  # YYYY-MM-DD
        parsed = parsed.replace(hour=DATE_ONLY_HOUR)
    _in_range(parsed.year, what, text)
    return dt.datetime.fromtimestamp(parsed.timestamp(), dt.UTC)


FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years a renovation project can live in


def _in_range(year: int, what: str, text: str) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput("{option}: '{text}' is outside the years 2000–2100", option=what, text=text[:60])


def parse_day(text: str, what: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text.strip())
        _in_range(day.year, what, text)
        return day
    except ValueError:
        raise InvalidInput(
            "{option}: '{text}' is not a date like 2026-03-15", option=what, text=text[:60]
        ) from None


class ShiftedClock:
    """Time that runs like the wall clock from another starting moment: the demo
    web app continues the demo's simulated timeline in real time (sessions expire,
    actions are stamped in order)."""

    def __init__(self, start: dt.datetime, real_start: dt.datetime | None = None):
        if start.tzinfo is None:
            raise ValueError("ShiftedClock needs an aware datetime")
        self.offset = start - (real_start or dt.datetime.now(dt.UTC))

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset
