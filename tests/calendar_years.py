"""Which years the statutory calendar knows, for tests that must not assume it.

The ``chinese-calendar`` package gains a year each November, when the State Council
publishes the next year's holidays. A test about "a year nobody knows yet" therefore
takes that year from a calendar — the one in force (its last known year + 1) or one
injected for the test — never a literal year.

Two ways to change what the package knows, both in place (the package's functions and
``accompany.calendars`` read the same dictionaries):

* :func:`package_through` — the package as published before ``year + 1`` was known
  (for tests whose hand-worked dates need a fixed unknown year);
* :func:`add_simulated_year` (:func:`package_with_simulated_year` for one test) — the
  package after its next data release: a made-up schedule for the year after its last
  one. ``ACCOMPANY_TEST_CALENDAR_NEXT_YEAR=1`` makes the whole test session run that
  way (see ``tests/conftest.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from chinese_calendar import constants

from accompany.models.calendar import WorkingCalendar

NEXT_YEAR_ENV = "ACCOMPANY_TEST_CALENDAR_NEXT_YEAR"


def first_unknown_year(calendar: WorkingCalendar) -> int:
    """The year after the last one ``calendar`` knows."""
    return max(calendar.known_years) + 1


def package_last_year() -> int:
    return max(constants.holidays).year


def simulated_schedule(year: int) -> tuple[dict[dt.date, str], dict[dt.date, str]]:
    """A made-up schedule for ``year`` (not the State Council's): New Year's Day,
    a Spring Festival week, Labour Day and National Day off, and the weekend days
    among 02-20 and 09-26 worked."""
    day = dt.date
    week = dt.timedelta(days=1)
    holidays = {day(year, 1, 1) + i * week: "New Year's Day" for i in range(3)}
    holidays |= {day(year, 2, 8) + i * week: "Spring Festival" for i in range(7)}
    holidays |= {day(year, 5, 1) + i * week: "Labour Day" for i in range(5)}
    holidays |= {day(year, 10, 1) + i * week: "National Day" for i in range(7)}
    workdays = {d: "Spring Festival" for d in (day(year, 2, 20), day(year, 9, 26)) if d.weekday() >= 5}
    return holidays, workdays


def add_simulated_year() -> int:
    """Make the installed package know one more year (a simulated schedule); returns it."""
    year = package_last_year() + 1
    holidays, workdays = simulated_schedule(year)
    constants.holidays.update(holidays)
    constants.workdays.update(workdays)
    return year


@contextmanager
def package_with_simulated_year() -> Iterator[int]:
    """:func:`add_simulated_year` for one test; yields the added year."""
    year = add_simulated_year()
    try:
        yield year
    finally:
        for table in (constants.holidays, constants.workdays):
            for day in [d for d in table if d.year == year]:
                del table[day]


@contextmanager
def package_through(year: int) -> Iterator[int]:
    """The package's data without the years after ``year``; yields the first unknown
    year (``year + 1``). Everything is put back afterwards."""
    if package_last_year() < year:
        raise AssertionError(f"chinese-calendar knows only up to {package_last_year()}, not {year}")
    removed = []
    for table in (constants.holidays, constants.workdays, constants.in_lieu_days):
        later = {d: v for d, v in table.items() if d.year > year}
        for d in later:
            del table[d]
        removed.append((table, later))
    try:
        yield year + 1
    finally:
        for table, later in removed:
            table.update(later)
