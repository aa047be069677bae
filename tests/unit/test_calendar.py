"""Working-day arithmetic against chinese-calendar as the oracle, the named
make-up-weekend cases, and the unknown-year policy."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from accompany.models.calendar import WorkingCalendar, YearSchedule
from accompany.models.deadlines import PausePeriod, compute_deadline
from accompany.models.template import DeadlineRule

from ..calendar_years import first_unknown_year
from .world import CALENDAR

D = dt.date


def oracle_add(start: dt.date, count: int) -> tuple[dt.date, bool]:
    """The count-th working day after start by chinese_calendar.is_workday; Mon–Fri
    (and provisional) for days in a year the package does not know."""
    day, guessed = start, False
    while count:
        day += dt.timedelta(days=1)
        try:
            working = chinese_calendar.is_workday(day)
        except NotImplementedError:
            working, guessed = day.weekday() < 5, True
        count -= working
    return day, guessed


EVERY_DAY = [D(2025, 1, 1) + dt.timedelta(days=i) for i in range((D(2026, 12, 31) - D(2025, 1, 1)).days + 1)]


@pytest.mark.parametrize("count", [1, 5, 10, 30])
def test_every_start_day_of_2025_and_2026_matches_the_oracle(count: int) -> None:
    for start in EVERY_DAY:
        result = CALENDAR.add_working_days(start, count)
        expected, guessed = oracle_add(start, count)
        assert (result.value, result.provisional) == (expected, guessed), start


NAMED_CASES = [
    # National Day 2025: Sun 09-28 and Sat 10-11 are make-up workdays, 10-01…10-08 off
    ("Fri before National Day 2025 → make-up Sunday", D(2025, 9, 26), 1, D(2025, 9, 28)),
    ("over National Day 2025", D(2025, 9, 26), 4, D(2025, 10, 9)),
    ("National Day 2025 make-up Saturday counts", D(2025, 10, 9), 2, D(2025, 10, 11)),
    ("starting on a National Day holiday", D(2025, 10, 3), 1, D(2025, 10, 9)),
    # Spring Festival 2026: Sat 02-14 and Sat 02-28 are make-up workdays, 02-15…02-23 off
    ("Fri before Spring Festival 2026 → make-up Saturday", D(2026, 2, 13), 1, D(2026, 2, 14)),
    ("over Spring Festival 2026", D(2026, 2, 13), 2, D(2026, 2, 24)),
    ("starting on the Spring Festival make-up Saturday", D(2026, 2, 14), 1, D(2026, 2, 24)),
    ("Spring Festival 2026 second make-up Saturday", D(2026, 2, 27), 1, D(2026, 2, 28)),
    # National Day 2026: Sun 09-20 and Sat 10-10 worked; Fri 09-25 and 10-01…10-07 off
    ("make-up Sunday before National Day 2026", D(2026, 9, 18), 1, D(2026, 9, 20)),
    ("Mid-Autumn Friday 2026 is off", D(2026, 9, 24), 1, D(2026, 9, 28)),
    ("over National Day 2026 into its make-up Saturday", D(2026, 9, 30), 3, D(2026, 10, 10)),
]


@pytest.mark.parametrize(("name", "start", "count", "expected"), NAMED_CASES, ids=[c[0] for c in NAMED_CASES])
def test_named_make_up_weekend_cases(name: str, start: dt.date, count: int, expected: dt.date) -> None:
    assert CALENDAR.add_working_days(start, count).value == expected
    assert not CALENDAR.add_working_days(start, count).provisional


# The first year the calendar in force does not know (the package gains one each November).
UNKNOWN = first_unknown_year(CALENDAR)
# The calendar as known in late 2026, whatever the package knows now: 2027 is unknown.
AS_OF_2026 = WorkingCalendar(CALENDAR.schedule(y) for y in CALENDAR.known_years if y <= 2026)


def weekdays_after(start: dt.date, count: int) -> dt.date:
    """The count-th Monday–Friday after start."""
    day = start
    while count:
        day += dt.timedelta(days=1)
        count -= day.weekday() < 5
    return day


def test_the_first_unknown_year_is_weekdays_only_and_provisional() -> None:
    first = D(UNKNOWN, 1, 1)
    for count in (1, 5, 30):
        result = CALENDAR.add_working_days(first, count)
        assert result.value == weekdays_after(first, count)
        assert result.guessed_years == {UNKNOWN}
    assert [CALENDAR.is_working_day(first + dt.timedelta(days=i)) for i in range(7)] == [
        (first + dt.timedelta(days=i)).weekday() < 5 for i in range(7)
    ]  # New Year's Day included: nobody knows it yet


def test_a_span_into_the_first_unknown_year_matches_the_oracle() -> None:
    start = D(UNKNOWN - 1, 12, 25)
    result = CALENDAR.add_working_days(start, 10)  # 12-26…12-31: at most 6 working days
    assert (result.value, result.provisional) == oracle_add(start, 10)
    assert result.value.year == UNKNOWN and result.guessed_years == {UNKNOWN}


def test_unknown_2027_as_seen_in_late_2026() -> None:
    result = AS_OF_2026.add_working_days(D(2026, 12, 25), 5)
    assert result.value == D(2027, 1, 1)  # a Friday: a guess, New Year's Day is surely off
    assert result.provisional and result.guessed_years == {2027}


def test_an_added_year_replaces_the_guess() -> None:
    eve = D(UNKNOWN - 1, 12, 31)
    guess = CALENDAR.add_working_days(eve, 1)
    assert guess.value == weekdays_after(eve, 1) and guess.provisional
    added = YearSchedule(
        UNKNOWN,
        holidays=frozenset({guess.value}),  # the first weekday of the year declared off
        makeup_workdays=frozenset(),
        source="test schedule",
    )
    known = WorkingCalendar([*(CALENDAR.schedule(y) for y in CALENDAR.known_years), added])
    result = known.add_working_days(eve, 1)
    assert result.value == weekdays_after(guess.value, 1)
    assert not result.provisional


@given(
    start=st.dates(min_value=D(2005, 1, 1), max_value=D(2026, 6, 30)),
    count=st.integers(min_value=1, max_value=120),
)
def test_adding_then_counting_gives_back_the_count(start: dt.date, count: int) -> None:
    result = CALENDAR.add_working_days(start, count)
    assert CALENDAR.is_working_day(result.value)
    span = CALENDAR.working_days_between(start + dt.timedelta(days=1), result.value + dt.timedelta(days=1))
    assert span.days == count


def test_year_schedule_refuses_contradictions() -> None:
    with pytest.raises(ValueError, match="both as a holiday and as a make-up workday"):
        YearSchedule(2027, frozenset({D(2027, 2, 6)}), frozenset({D(2027, 2, 6)}), "x")
    with pytest.raises(ValueError, match="not in year 2027"):
        YearSchedule(2027, frozenset({D(2026, 2, 6)}), frozenset(), "x")


def test_negative_working_days_refused() -> None:
    with pytest.raises(ValueError, match="zero or more"):
        CALENDAR.add_working_days(D(2026, 1, 5), -1)


# -- deadlines -------------------------------------------------------------------------


def rule(**kwargs: object) -> DeadlineRule:
    return DeadlineRule.model_validate(kwargs)


def test_calendar_day_deadline_rolls_forward_off_a_holiday() -> None:
    # 2026-09-24 + 7 calendar days = Thu 2026-10-01 (National Day) → Thu 10-08
    deadline = compute_deadline(
        rule(calendar_days=7), anchor=D(2026, 9, 24), calendar=CALENDAR, template_ref="t@1"
    )
    assert deadline.due == D(2026, 10, 8)
    kept = compute_deadline(
        rule(calendar_days=7, roll_forward=False),
        anchor=D(2026, 9, 24),
        calendar=CALENDAR,
        template_ref="t@1",
    )
    assert kept.due == D(2026, 10, 1)


def test_notice_period_then_working_days() -> None:
    # stage starts Mon 2026-06-01; notice 7 calendar days to 06-08, then 5 working days
    deadline = compute_deadline(
        rule(working_days=5, **{"from": "notice-end"}, notice_calendar_days=7),
        anchor=D(2026, 6, 8),
        calendar=CALENDAR,
        template_ref="t@1",
    )
    assert deadline.due == D(2026, 6, 15)


def test_pause_moves_the_deadline_by_the_working_days_paused() -> None:
    base = compute_deadline(rule(working_days=10), anchor=D(2026, 9, 14), calendar=CALENDAR, template_ref="t")
    assert base.due == D(2026, 9, 28)  # Sun 09-20 worked, Fri 09-25 off
    # paused Wed 09-30 → Mon 10-12: working days 09-30, 10-08, 10-09, 10-10 (make-up Sat) = 4
    paused = compute_deadline(
        rule(working_days=10),
        anchor=D(2026, 9, 14),
        calendar=CALENDAR,
        template_ref="t",
        pauses=[PausePeriod(D(2026, 9, 30), D(2026, 10, 12))],
    )
    assert paused.paused_working_days == 4
    assert paused.due == D(2026, 10, 9)  # 09-28 + 4 WD: 09-29, 09-30, 10-08, 10-09


def test_open_pause_does_not_move_the_deadline_yet() -> None:
    deadline = compute_deadline(
        rule(working_days=10),
        anchor=D(2026, 9, 14),
        calendar=CALENDAR,
        template_ref="t",
        pauses=[PausePeriod(D(2026, 9, 21), None)],
    )
    assert deadline.due == D(2026, 9, 28)


def test_extension_adds_working_days() -> None:
    deadline = compute_deadline(
        rule(working_days=10),
        anchor=D(2026, 9, 14),
        calendar=CALENDAR,
        template_ref="t",
        extension_working_days=5,
    )
    assert deadline.due == D(2026, 10, 10)  # 09-29, 09-30, 10-08, 10-09, make-up Sat 10-10
    assert deadline.extension_working_days == 5
