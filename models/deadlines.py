"""Deadline arithmetic: a stage's due date from its rule, its anchor date, the clock
pauses and granted extensions, under the working-day calendar.

A due date is an Asia/Shanghai calendar date; the stage is due by the end of that
day. Everything here is a pure function of its arguments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from .calendar import WorkingCalendar
from .template import DeadlineRule

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def local_date(moment: dt.datetime) -> dt.date:
    """The Asia/Shanghai date of an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: every instant must carry its time zone")
    return moment.astimezone(LOCAL_TZ).date()


@dataclass(frozen=True)
class PausePeriod:
    """A stopped clock from ``start`` (counted) to ``end`` (not counted); open while
    ``end`` is None."""

    start: dt.date
    end: dt.date | None


@dataclass(frozen=True)
class Deadline:
    due: dt.date
    provisional: bool
    base_due: dt.date
    paused_working_days: int = 0
    extension_working_days: int = 0
    basis: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_record(self) -> dict[str, Any]:
        return {
            "due": self.due.isoformat(),
            "provisional": self.provisional,
            "base_due": self.base_due.isoformat(),
            "paused_working_days": self.paused_working_days,
            "extension_working_days": self.extension_working_days,
            **self.basis,
        }


def compute_deadline(
    rule: DeadlineRule,
    *,
    anchor: dt.date | None,
    calendar: WorkingCalendar,
    template_ref: str,
    fixed_due: dt.date | None = None,
    pauses: Sequence[PausePeriod] = (),
    extension_working_days: int = 0,
) -> Deadline | None:
    """The deadline, or None while the anchor is not known yet (e.g. the stage has
    not started). Closed pauses push the deadline by the working days they covered;
    an open pause is counted when it closes."""
    guessed: set[int] = set()
    consulted: set[int] = set()  # years whose calendar data the answer depends on
    if rule.set_at_start:
        if fixed_due is None:
            return None
        base = fixed_due
        anchor_text = "set at start"
    else:
        if anchor is None:
            return None
        anchor_text = f"{rule.anchor} {anchor.isoformat()}"
        if rule.working_days is not None:
            counted = calendar.add_working_days(anchor, rule.working_days)
            base = counted.value
            guessed |= counted.guessed_years
            consulted |= set(range(anchor.year, base.year + 1))
        else:
            assert rule.calendar_days is not None
            base = anchor + dt.timedelta(days=rule.calendar_days)
            if rule.roll_forward:
                rolled = calendar.roll_forward(base)
                consulted |= set(range(base.year, rolled.value.year + 1))
                base = rolled.value
                guessed |= rolled.guessed_years

    paused = 0
    for pause in pauses:
        if pause.end is None:
            continue
        span = calendar.working_days_between(pause.start, pause.end)
        paused += span.days
        guessed |= span.guessed_years
        consulted |= set(range(pause.start.year, pause.end.year + 1))
    if extension_working_days < 0:
        raise ValueError("extension working days cannot be negative")
    due = base
    if paused or extension_working_days:
        moved = calendar.add_working_days(base, paused + extension_working_days)
        due = moved.value
        guessed |= moved.guessed_years
        consulted |= set(range(base.year, due.year + 1))
    basis = {
        "rule": rule.describe("en"),
        "anchor": anchor_text,
        "template": template_ref,
        "calendar": calendar.fingerprint(consulted),
    }
    return Deadline(
        due=due,
        provisional=bool(guessed),
        base_due=base,
        paused_working_days=paused,
        extension_working_days=extension_working_days,
        basis=basis,
    )
