"""A stage's clock, as people act on it: the planner asks for more working days and
the street office grants or refuses them; a waiting request is withdrawn when
nothing is left for it to extend; the coordinator pauses and resumes the clock.

A part of the project aggregate: ``StageClock`` is mixed into
``models.project.Project`` and its methods act on that project. The clock's
counting is in ``models.stage_timing``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .calendar import WorkingCalendar
from .errors import InvalidInput, Refusals
from .events import Event, EventKind
from .people import Person
from .project_input import COMMENT, MAX_REASON, check_text, require_reason
from .rules import Action
from .stage import ClockPause, ExtensionRequest, Stage

if TYPE_CHECKING:
    from .project import Project

MAX_EXTENSION_WORKING_DAYS = 250


class StageClock:
    """The commands on a stage's deadline clock: extensions and pauses."""

    # -- planner --------------------------------------------------------------------
    def request_extension(
        self: Project, key: str, actor: Person, *, working_days: int, reason: str, now: dt.datetime
    ) -> list[Event]:
        """The planner asks the street office for more working days, with a reason."""
        refusals = Refusals()  # the days and the reason told together
        if working_days <= 0 or working_days > MAX_EXTENSION_WORKING_DAYS:
            refusals.errors.append(
                InvalidInput(
                    "an extension must be 1–{most} working days, got {days}",
                    field="days",
                    most=MAX_EXTENSION_WORKING_DAYS,
                    days=working_days,
                )
            )
        reason = refusals.check(require_reason, reason, "an extension request") or ""
        refusals.raise_any()
        stage = self._attempt(key, actor, Action.REQUEST_EXTENSION)
        stage.extensions.append(ExtensionRequest(now, actor.id, working_days, reason))
        self._touch(stage)
        return [
            Event(
                EventKind.EXTENSION_REQUESTED,
                now,
                actor.id,
                stage=key,
                data={"working_days": working_days, "reason": reason},
            )
        ]

    # -- street office / district -----------------------------------------------------
    def decide_extension(
        self: Project,
        key: str,
        actor: Person,
        *,
        grant: bool,
        working_days: int | None,
        comment: str | None,
        now: dt.datetime,
        calendar: WorkingCalendar,
    ) -> list[Event]:
        """The street office grants (all or part of the requested days) or refuses
        (with a reason) a waiting extension request."""
        check_text(comment or "", COMMENT, field="comment", limit=MAX_REASON)
        stage = self._attempt(key, actor, Action.DECIDE_EXTENSION)
        request = stage.open_extension()
        assert request is not None
        if grant:
            days = request.working_days if working_days is None else working_days
            if days <= 0 or days > request.working_days:
                raise InvalidInput(
                    "granted days must be 1–{most} (the days requested), got {days}",
                    field="days",
                    most=request.working_days,
                    days=days,
                )
        else:
            if working_days is not None:
                raise InvalidInput("--days goes with granting, not refusing", field="days")
            comment = require_reason(comment or "", "a refusal")
        request.status = "granted" if grant else "refused"
        request.decided_by = actor.id
        request.decided_at = now
        request.granted_days = days if grant else None
        request.comment = comment or None
        request.dirty = True
        self._touch(stage)
        events = [
            Event(
                EventKind.EXTENSION_GRANTED if grant else EventKind.EXTENSION_REFUSED,
                now,
                actor.id,
                stage=key,
                data={
                    "requested_days": request.working_days,
                    "granted_days": request.granted_days,
                    "reason": request.reason,
                    "comment": request.comment,
                    "requested_by": request.requested_by,
                },
            )
        ]
        if grant:
            events += self._refresh_deadline(stage, now, calendar, f"extension of {days} working days")
        return events

    # -- extension requests nobody is left to decide ----------------------------------------
    def withdraw_open_extension(
        self: Project,
        stage: Stage,
        actor_id: str,
        now: dt.datetime,
        *,
        why: str,
        status: str = "lapsed",
        data: Mapping[str, Any] | None = None,
    ) -> list[Event]:
        """Close the stage's waiting extension request, if any, when nothing is left
        for it to extend: the stage was marked done (its clock stopped; on time or
        late is judged at the submission), approved, or its project cancelled — or
        a new round reset the stage (``models.loop``, status ``withdrawn``). The
        street office no longer has it to decide, and a decision on it is refused
        (``rules.ExtensionRequestOpen``); the planner asks again if the stage runs
        again (a return). A suspension does not withdraw it: the stage's clock is
        only paused and the request is decided when the project resumes. One
        ``stage.extension_withdrawn`` event says why, by whoever's command closed
        the clock, in that command's transaction."""
        request = stage.open_extension()
        if request is None:
            return []
        request.status = status
        request.decided_by = actor_id
        request.decided_at = now
        request.dirty = True
        self._touch(stage)
        return [
            Event(
                EventKind.EXTENSION_WITHDRAWN,
                now,
                actor_id,
                stage=stage.key,
                data={
                    "working_days": request.working_days,
                    "reason": request.reason,
                    "requested_by": request.requested_by,
                    "requested_at": request.requested_at.isoformat(),
                    "why": why,
                    **(data or {}),
                },
            )
        ]

    # -- coordinator ------------------------------------------------------------------
    def pause_clock(self: Project, key: str, actor: Person, *, reason: str, now: dt.datetime) -> list[Event]:
        """Stop a stage's deadline clock (winter construction stop, waiting for
        residents …). While paused the stage is never overdue."""
        reason = require_reason(reason, "a pause")
        stage = self._attempt(key, actor, Action.PAUSE)
        stage.pauses.append(ClockPause(now, actor.id, reason))
        self._touch(stage)
        return [
            Event(
                EventKind.CLOCK_PAUSED,
                now,
                actor.id,
                stage=key,
                before="running",
                after="paused",
                data={"reason": reason},
            )
        ]

    def resume_clock(
        self: Project, key: str, actor: Person, *, now: dt.datetime, calendar: WorkingCalendar
    ) -> list[Event]:
        """Restart a paused clock; the deadline moves by the working days it was
        paused."""
        stage = self._attempt(key, actor, Action.RESUME)
        return self._close_pause(stage, actor.id, now, calendar, "resumed")
