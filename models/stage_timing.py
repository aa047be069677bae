"""A stage's timing, counted: the date its deadline counts from, its deadline under
the current rule, the pauses and extensions of its current run, and the working days
it has been open or its submission has waited.

Pure functions of the project and stage they are given, which the project's
commands call (``models.project``); ``models.deadlines`` holds the arithmetic of a
deadline from its rule, this module reads that rule's inputs off a stage.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from .calendar import WorkingCalendar
from .deadlines import Deadline, compute_deadline, local_date
from .stage import ClockPause, Stage

if TYPE_CHECKING:
    from .project import Project


def anchor_date(project: Project, stage: Stage) -> dt.date | None:
    """The date the stage's deadline counts from under its rule (the project's start,
    the approval of an earlier stage, the stage's start or the end of its notice
    period), or None while it is not known yet."""
    rule = project.template.stage(stage.key).deadline
    if rule.anchor == "project-start":
        return project.start_date
    approved = rule.approved_stage
    if approved is not None:
        source = project.stages[approved].approved_at
        return local_date(source) if source else None
    if stage.activated_at is None:
        return None
    started = local_date(stage.activated_at)
    if rule.anchor == "notice-end":
        assert rule.notice_calendar_days is not None
        return started + dt.timedelta(days=rule.notice_calendar_days)
    return started


def stage_deadline(project: Project, stage: Stage, calendar: WorkingCalendar) -> Deadline | None:
    """The stage's deadline under its rule as things stand: from its anchor date (or
    the due date set at the start), moved by the pauses and granted extensions of its
    current run; None while the anchor is not known."""
    return compute_deadline(
        project.template.stage(stage.key).deadline,
        anchor=anchor_date(project, stage),
        calendar=calendar,
        template_ref=project.template.ref,
        fixed_due=stage.fixed_due,
        pauses=[p.period() for p in stage_run_pauses(stage)],
        extension_working_days=stage_run_extension_days(stage),
    )


def open_working_days(stage: Stage, today: dt.date, calendar: WorkingCalendar) -> int | None:
    """The working days the stage has been open up to ``today`` (counted) in its
    current run, less those its clock was paused in that run — not the pauses of an
    earlier round (``stage_run_pauses``, as for its deadline), which would shorten
    the new round by the old one's; None before it started."""
    if stage.activated_at is None:
        return None
    started = local_date(stage.activated_at)
    total = calendar.working_days_between(started, today + dt.timedelta(days=1)).days
    paused = sum(
        calendar.working_days_between(max(p.period().start, started), p.period().end or today).days
        for p in stage_run_pauses(stage)
    )
    return max(0, total - paused)


def waited_working_days(stage: Stage, now: dt.datetime, calendar: WorkingCalendar) -> int | None:
    """The working days the stage's submission has waited for a decision by ``now``;
    None when it is not submitted."""
    if stage.submitted_at is None:
        return None
    return calendar.working_days_late(local_date(stage.submitted_at), local_date(now)).days


def stage_run_pauses(stage: Stage) -> list[ClockPause]:
    """The pauses that move the stage's current deadline: all but those that ended
    before the stage (last) started — a pause of an earlier round (``models.loop``)."""
    started = stage.activated_at
    return [p for p in stage.pauses if started is None or p.resumed_at is None or p.resumed_at >= started]


def stage_run_extension_days(stage: Stage) -> int:
    """The granted extension days that move the current deadline: not those decided
    before the stage (last) started — an extension of an earlier round."""
    started = stage.activated_at
    return sum(
        e.granted_days or 0
        for e in stage.extensions
        if e.status == "granted" and (started is None or e.decided_at is None or e.decided_at >= started)
    )
