"""The decisions on a submitted stage: a level (street office, district) approves
it or returns it to the planner; in a joint step (会签 / 或签) the project's parties
sign it (see ``models.parties``).

A part of the project aggregate: ``StageApprovals`` is mixed into
``models.project.Project`` and its methods act on that project.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from .calendar import WorkingCalendar
from .events import Event, EventKind
from .parties import party_has_not_signed, party_may_sign
from .people import Person
from .project_input import COMMENT, MAX_REASON, check_text, require_reason, stage_name
from .rules import Action
from .stage import ApprovalRecord, Stage
from .stage_timing import waited_working_days
from .states import StageState
from .template import JointStep, PartyRole

if TYPE_CHECKING:
    from .project import Project


class StageApprovals:
    """The commands of the approval levels and the parties on a submitted stage."""

    # -- street office / district -----------------------------------------------------
    def approve_stage(
        self: Project,
        key: str,
        actor: Person,
        *,
        comment: str | None,
        now: dt.datetime,
        calendar: WorkingCalendar,
    ) -> list[Event]:
        """Approve at the next level the stage waits for; the last level approves the
        stage, starts the stages that were waiting for it, and may complete the
        project."""
        check_text(comment or "", COMMENT, field="comment", limit=MAX_REASON)
        stage = self._attempt(key, actor, Action.APPROVE)
        level = stage.next_approval_level()
        assert level is not None
        if isinstance(level, JointStep):
            return self._sign(stage, level, actor, comment=comment, now=now, calendar=calendar)
        stage.approvals.append(ApprovalRecord(stage.round, level, "approved", actor.id, now, comment or None))
        self._touch(stage)
        remaining = stage.next_approval_level()
        waited = waited_working_days(stage, now, calendar)
        event = Event(
            EventKind.STAGE_APPROVED,
            now,
            actor.id,
            stage=key,
            before=StageState.SUBMITTED.value,
            after=StageState.SUBMITTED.value if remaining else StageState.APPROVED.value,
            data={
                "level": level.value,
                "final": remaining is None,
                "round": stage.round,
                "comment": comment or None,
                "waited_working_days": waited,
                "next_level": remaining.value if remaining else None,
                **self._newly_awaited(stage),
            },
        )
        if remaining is not None:
            return [event]
        return [event, *self._approve_fully(stage, actor.id, now, calendar, record_event=False)]

    def return_stage(
        self: Project,
        key: str,
        actor: Person,
        *,
        reason: str,
        now: dt.datetime,
    ) -> list[Event]:
        """Send a done stage back to the planner with a reason; approvals given in
        this round are void and the stage is decided again after the next
        submission. The deadline is not moved by a return."""
        reason = require_reason(reason, "a return")
        stage = self._attempt(key, actor, Action.RETURN)
        step = stage.next_approval_level()
        assert step is not None
        # a party returning a joint step: the whole round goes back (all sign again)
        level = PartyRole(actor.role.value) if isinstance(step, JointStep) else step
        stage.approvals.append(ApprovalRecord(stage.round, level, "returned", actor.id, now, reason))
        stage.round += 1
        stage.state = StageState.IN_PROGRESS
        stage.submitted_at = None
        self._touch(stage)
        return [
            Event(
                EventKind.STAGE_RETURNED,
                now,
                actor.id,
                stage=key,
                before=StageState.SUBMITTED.value,
                after=StageState.IN_PROGRESS.value,
                data={
                    "level": level.value,
                    "reason": reason,
                    "round": stage.round - 1,
                    **({"party": level.value, "step": step.mode} if isinstance(step, JointStep) else {}),
                },
            )
        ]

    def _sign(
        self: Project,
        stage: Stage,
        step: JointStep,
        actor: Person,
        *,
        comment: str | None,
        now: dt.datetime,
        calendar: WorkingCalendar,
    ) -> list[Event]:
        """A party signs the joint step the stage waits for (the rules checked the
        party may): an approval record with the party; when the step is complete the
        stage goes on to its next step, or is approved after the last one."""
        name = stage_name(self.template.stage(stage.key))
        role = party_may_sign(actor, step, self.parties, name)
        party_has_not_signed(actor, stage, name)
        stage.approvals.append(
            ApprovalRecord(stage.round, PartyRole(role), "approved", actor.id, now, comment or None)
        )
        self._touch(stage)
        remaining = stage.next_approval_level()
        awaited = [] if remaining is step else None
        if awaited is not None:
            signed = {a.level.value for a in stage.approvals_this_round()}
            awaited = [p.value for p in step.parties if p.value not in signed]
        event = Event(
            EventKind.STAGE_APPROVED,
            now,
            actor.id,
            stage=stage.key,
            before=StageState.SUBMITTED.value,
            after=StageState.SUBMITTED.value if remaining else StageState.APPROVED.value,
            data={
                "level": role,
                "party": role,
                "step": step.mode,
                "awaited": awaited or [],
                "final": remaining is None,
                "round": stage.round,
                "comment": comment or None,
                "waited_working_days": waited_working_days(stage, now, calendar),
                "next_level": remaining.value if remaining else None,
                **(self._newly_awaited(stage) if remaining is not step else {}),
            },
        )
        if remaining is not None:
            return [event]
        return [event, *self._approve_fully(stage, actor.id, now, calendar, record_event=False)]
