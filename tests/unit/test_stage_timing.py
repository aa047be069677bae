"""The working days a stage has been open (what a rate check reads: a response rate
due after so many working days) count the stage's current run: a pause of an earlier
round (before a new round, ``models.loop``) does not shorten the new one, as it does
not move its deadline (``stage_run_pauses``)."""

from __future__ import annotations

import datetime as dt

from accompany.models.stage import ClockPause, Stage
from accompany.models.stage_timing import open_working_days
from accompany.models.states import StageState

from .world import CALENDAR, at


def _pause(start: str, end: str | None) -> ClockPause:
    return ClockPause(
        paused_at=at(start), paused_by="wangrb", reason="等待", resumed_at=at(end) if end else None
    )


def test_a_pause_of_an_earlier_round_does_not_shorten_the_days_open() -> None:
    # round 2 started Monday 2026-03-16; round 1 was paused the week before
    stage = Stage(
        key="design-consultation",
        position=2,
        state=StageState.IN_PROGRESS,
        round=2,
        activated_at=at("2026-03-16T09:00"),
        pauses=[_pause("2026-03-09T09:00", "2026-03-13T09:00")],
    )
    friday = dt.date(2026, 3, 20)
    assert open_working_days(stage, friday, CALENDAR) == 5  # Mon–Fri of its own run
    # a pause of this run counts: Wednesday to Thursday
    stage.pauses.append(_pause("2026-03-18T09:00", "2026-03-19T09:00"))
    assert open_working_days(stage, friday, CALENDAR) == 4


def test_a_pause_still_open_counts_up_to_today() -> None:
    stage = Stage(
        key="needs-survey",
        position=0,
        state=StageState.IN_PROGRESS,
        activated_at=at("2026-03-02T09:00"),
        pauses=[_pause("2026-03-04T09:00", None)],
    )
    # Mon 03-02 to Fri 03-06: 5 working days, paused Wednesday and Thursday (today
    # counts as the day it would resume, as a pause's last day does)
    assert open_working_days(stage, dt.date(2026, 3, 6), CALENDAR) == 3
