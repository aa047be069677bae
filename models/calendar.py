"""China's statutory working-day calendar (工作日), including make-up working days (调休).

The calendar is built from per-year schedules. A year with no schedule is *unknown*:
the State Council publishes each year's schedule around the November before, so a
deadline that reaches into an unknown year is computed on weekdays only (Mon–Fri)
and marked **provisional**; it is recomputed when the year's data arrives
(see ``services.calendar.recompute_provisional_deadlines``). Every answer the
calendar gives says which unknown years it had to guess, so the guess is never silent.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import accumulate

from .errors import N_
from .validation import InvalidValue

ONE_DAY = dt.timedelta(days=1)
NO_YEARS: frozenset[int] = frozenset()


@dataclass(frozen=True)
class YearSchedule:
    """One year's official schedule: days off that would be weekdays, days worked
    that would be weekends, and where the data came from."""

    year: int
    holidays: frozenset[dt.date]
    makeup_workdays: frozenset[dt.date]
    source: str
    names: Mapping[dt.date, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        for day in self.holidays | self.makeup_workdays:
            if day.year != self.year:
                raise InvalidValue(N_("{day} is not in year {year}"), day=day.isoformat(), year=self.year)
        both = self.holidays & self.makeup_workdays
        if both:
            raise InvalidValue(
                N_("{day} is listed both as a holiday and as a make-up workday"), day=min(both).isoformat()
            )

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.makeup_workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def fingerprint(self) -> str:
        payload = ",".join(
            [str(self.year)]
            + ["h" + d.isoformat() for d in sorted(self.holidays)]
            + ["w" + d.isoformat() for d in sorted(self.makeup_workdays)]
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:12]


#: what a deadline's basis says of a year whose holidays are not known (yet)
UNKNOWN_YEAR = "unknown: weekdays only (provisional)"


@dataclass(frozen=True)
class DayCount:
    """A date (or a count of days) and the unknown years guessed on the way."""

    value: dt.date
    guessed_years: frozenset[int] = frozenset()

    @property
    def provisional(self) -> bool:
        return bool(self.guessed_years)


@dataclass(frozen=True)
class SpanCount:
    days: int
    guessed_years: frozenset[int] = frozenset()


class WorkingCalendar:
    """Answers working-day questions from a set of known years.

    Arithmetic uses a prefix count of working days over a fixed span (from the first
    known year to 30 years after the last), so counting and adding working days cost
    O(1) and O(log n) — the reminder sweep asks this for every open stage. Dates
    outside the span fall back to walking day by day."""

    SPAN_YEARS_AFTER = 30

    def __init__(self, schedules: Iterable[YearSchedule]):
        self._years: dict[int, YearSchedule] = {}
        for schedule in schedules:
            self._years[schedule.year] = schedule
        first = min(self._years, default=2000)
        last = max(self._years, default=2000) + self.SPAN_YEARS_AFTER
        # the run of known years without gaps that ends at the newest one
        self._known_to = max(self._years, default=0)
        self._known_from = self._known_to + 1
        while self._known_from - 1 in self._years:
            self._known_from -= 1
        self._origin = dt.date(first, 1, 1)
        self._end = dt.date(last, 12, 31)
        days = (self._end - self._origin).days + 1
        # day i of the span is a working day: weekdays first, then each known year's
        # holidays and make-up days (the answers of is_working_day, built as a list in
        # one pass instead of one call per day: it is built on every command)
        week = [1, 1, 1, 1, 1, 0, 0]
        first_weekday = self._origin.weekday()
        working = (week[first_weekday:] + week[:first_weekday]) * (days // 7 + 1)
        del working[days:]
        for schedule in self._years.values():  # (each year's days lie in the span)
            for day in schedule.holidays:
                working[(day - self._origin).days] = 0
            for day in schedule.makeup_workdays:
                working[(day - self._origin).days] = 1
        # cumulative[i]: working days in [origin, origin + i)
        self._cumulative = list(accumulate(working, initial=0))

    # -- what is known ---------------------------------------------------------
    @property
    def known_years(self) -> tuple[int, ...]:
        return tuple(sorted(self._years))

    def schedule(self, year: int) -> YearSchedule | None:
        return self._years.get(year)

    def knows(self, year: int) -> bool:
        return year in self._years

    def fingerprint(self, years: Iterable[int]) -> dict[str, str]:
        """Where each of ``years`` came from: source and a short hash, or the guess."""
        out: dict[str, str] = {}
        for year in sorted(set(years)):
            schedule = self._years.get(year)
            out[str(year)] = f"{schedule.source} #{schedule.fingerprint()}" if schedule else UNKNOWN_YEAR
        return out

    def _unknown_years(self, first: dt.date, last: dt.date) -> frozenset[int]:
        """Unknown years touched by the days first..last (inclusive)."""
        if last < first:
            return NO_YEARS
        if self._known_from <= first.year and last.year <= self._known_to:
            return NO_YEARS  # the common case, asked for every open stage by the sweep
        return frozenset(y for y in range(first.year, last.year + 1) if y not in self._years)

    def _index(self, day: dt.date) -> int | None:
        if self._origin <= day <= self._end:
            return (day - self._origin).days
        return None

    # -- single days -------------------------------------------------------------
    def is_working_day(self, day: dt.date) -> bool:
        """Statutory answer for a known year; Mon–Fri for an unknown one."""
        schedule = self._years.get(day.year)
        if schedule is None:
            return day.weekday() < 5
        return schedule.is_working_day(day)

    # -- arithmetic ------------------------------------------------------------
    def add_working_days(self, start: dt.date, count: int) -> DayCount:
        """The ``count``-th working day after ``start`` (``start`` itself is not
        counted, as in 期限开始之日不计算在内). ``count`` = 0 gives ``start`` when it is a
        working day, else the next working day."""
        if count < 0:
            raise ValueError("working days to add must be zero or more")
        if count == 0:
            return self.roll_forward(start)
        begin = self._index(start)
        if begin is not None:
            target = self._cumulative[begin + 1] + count
            found = bisect.bisect_left(self._cumulative, target, lo=begin + 1)
            if found < len(self._cumulative):
                day = self._origin + dt.timedelta(days=found - 1)
                return DayCount(day, self._unknown_years(start + ONE_DAY, day))
        guessed: set[int] = set()
        day = start
        remaining = count
        while remaining:
            day += ONE_DAY
            if day.year not in self._years:
                guessed.add(day.year)
            if self.is_working_day(day):
                remaining -= 1
        return DayCount(day, frozenset(guessed))

    def roll_forward(self, day: dt.date) -> DayCount:
        """``day`` if it is a working day, else the next working day — the rule for a
        period whose last day falls on a holiday (以休息日结束的，以休息日后的第一日为期间届满的日期)."""
        if self.is_working_day(day):
            return DayCount(day, self._unknown_years(day, day))
        following = self.add_working_days(day, 1)
        return DayCount(following.value, following.guessed_years | self._unknown_years(day, day))

    def working_days_between(self, first: dt.date, end: dt.date) -> SpanCount:
        """Working days in the half-open range [first, end)."""
        if end <= first:
            return SpanCount(0)
        a, b = self._index(first), self._index(end)
        guessed = self._unknown_years(first, end - ONE_DAY)
        if a is not None and b is not None:
            return SpanCount(self._cumulative[b] - self._cumulative[a], guessed)
        days = 0
        day = first
        while day < end:
            days += self.is_working_day(day)
            day += ONE_DAY
        return SpanCount(days, guessed)

    def working_days_late(self, due: dt.date, today: dt.date) -> SpanCount:
        """How many working days after ``due`` ``today`` is: (due, today]. Zero when
        not late."""
        if today <= due:
            return SpanCount(0)
        return self.working_days_between(due + ONE_DAY, today + ONE_DAY)
