"""The 公示 (public notice) as residents read it on the public page: before it,
while it runs (how many calendar days are left and its last day) and after it.

Pure: the caller passes the notice's first and last day (``models.comments.
notice_window``, counted in the template's ``notice_calendar_days``) and today's
local (Beijing) date; nothing here reads a clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class NoticePhase(StrEnum):
    UPCOMING = "upcoming"
    RUNNING = "running"
    LAST_DAY = "last-day"
    ENDED = "ended"


@dataclass(frozen=True)
class NoticeCountdown:
    """Where the notice stands on ``today``: ``days_left`` counts the calendar days
    still to run, today included (3 on the third day before the end, 1 on the last
    day, 0 once it has ended); ``days_to_start`` the days until its first day."""

    phase: NoticePhase
    first_day: dt.date
    last_day: dt.date
    days_left: int
    days_to_start: int


def notice_countdown(first_day: dt.date, last_day: dt.date, today: dt.date) -> NoticeCountdown:
    """The countdown of a notice running from ``first_day`` to ``last_day`` (both
    ends included) as seen on ``today``."""
    if last_day < first_day:
        raise ValueError("a notice ends on or after its first day")
    if today < first_day:
        phase = NoticePhase.UPCOMING
    elif today > last_day:
        phase = NoticePhase.ENDED
    elif today == last_day:
        phase = NoticePhase.LAST_DAY
    else:
        phase = NoticePhase.RUNNING
    days_left = 0 if phase is NoticePhase.ENDED else (last_day - max(today, first_day)).days + 1
    return NoticeCountdown(
        phase=phase,
        first_day=first_day,
        last_day=last_day,
        days_left=days_left,
        days_to_start=max((first_day - today).days, 0),
    )
