"""The project aggregate: a renovation project and its stage instances.

Every command is a method that checks the transition rules, changes the project and
returns the events that describe the change. Nothing is persisted here; the service
layer saves the touched stages and appends the events in one transaction.

``Project`` is composed of its command groups, each in a module of its own: a stage
marked done (``models.submission``), approved, returned or signed
(``models.approvals``), its clock extended or paused (``models.stage_clock``), and
the project suspended, resumed, cancelled, handed over or edited
(``models.project_life``). This module holds the project's data, its start, and the
steps the groups share: stages activated, a stage approved fully, a pause closed, a
deadline refreshed. The stage's records are in ``models.stage``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .approvals import StageApprovals
from .calendar import WorkingCalendar
from .deadlines import LOCAL_TZ, local_date
from .errors import N_, InvalidInput, Localized, Refusals, RuleViolation
from .events import SYSTEM_ACTOR, Event, EventKind
from .people import Person
from .project_input import (
    COMMUNITY,
    MAX_NAME,
    PROJECT_NAME,
    check_planner,
    check_required_text,
    check_text,
    stage_name,
)
from .project_life import ProjectLife
from .rules import (
    ActingTime,
    Action,
    Attempt,
    ProjectAttempt,
    TimedAttempt,
    coordinator_may_act,
    enforce,
    enforce_project,
    enforce_time,
)
from .stage import (
    WITHDRAWN_NEW_ROUND,
    WITHDRAWN_PROJECT_CANCELLED,
    WITHDRAWN_STAGE_APPROVED,
    WITHDRAWN_STAGE_DONE,
    ApprovalRecord,
    Attachment,
    ClockPause,
    ExtensionRequest,
    Stage,
)
from .stage_clock import StageClock
from .stage_timing import stage_deadline
from .states import ProjectStatus, StageState
from .submission import StageSubmission
from .template import JointStep, ProcessTemplate

# the names that lived here before the project's command groups and the stage's
# records moved to modules of their own: still importable from here
__all__ = [
    "MAX_NAME",
    "WITHDRAWN_NEW_ROUND",
    "WITHDRAWN_PROJECT_CANCELLED",
    "WITHDRAWN_STAGE_APPROVED",
    "WITHDRAWN_STAGE_DONE",
    "ApprovalRecord",
    "Attachment",
    "ClockPause",
    "ExtensionRequest",
    "Project",
    "Stage",
    "check_text",
]


@dataclass
class Project(StageSubmission, StageApprovals, StageClock, ProjectLife):
    id: int | None
    name: str
    district: str
    street: str
    community: str
    planner_id: str
    coordinator_id: str
    template: ProcessTemplate
    params: dict[str, Any]
    start_date: dt.date
    created_at: dt.datetime
    status: ProjectStatus = ProjectStatus.ACTIVE
    completed_at: dt.datetime | None = None
    # why, since when and by whom the project is suspended or cancelled
    status_reason: str | None = None
    status_since: dt.datetime | None = None
    status_by: str | None = None
    # display names of the street and district, for the messages people read
    street_name: str = ""
    district_name: str = ""
    stages: dict[str, Stage] = field(default_factory=dict)
    # the project's parties: party role → person id (see ``models.parties``)
    parties: dict[str, str] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set, repr=False)
    project_touched: bool = field(default=False, repr=False)
    parties_touched: bool = field(default=False, repr=False)

    # -- creation -------------------------------------------------------------------
    @classmethod
    def start(
        cls,
        *,
        template: ProcessTemplate,
        params: Mapping[str, Any],
        name: str,
        district: str,
        street: str,
        community: str,
        planner: Person,
        coordinator: Person,
        start_date: dt.date,
        fixed_dues: Mapping[str, dt.date],
        now: dt.datetime,
        calendar: WorkingCalendar,
        street_name: str = "",
        district_name: str = "",
        parties: Mapping[str, str] | None = None,
    ) -> tuple[Project, list[Event]]:
        """A coordinator starts a project for their street; the stages with no
        dependencies start on the project's start date. ``parties``: the project's
        parties list, as ``parties.resolve_parties`` checked it."""
        # each field's problems are told together (a person corrects them in one go);
        # who may start a project is asked before the planner, as before
        refusals = Refusals()
        refusals.check(check_required_text, name, PROJECT_NAME, "name", 300, N_("project name is empty"))
        refusals.check(
            check_required_text, community, COMMUNITY, "community", MAX_NAME, N_("community is empty")
        )
        if not coordinator.active:
            raise RuleViolation("{person} is no longer active in the directory", person=coordinator.name)
        where = Localized(street_name or street)
        coordinator_may_act(coordinator, district, street, Action.START, street_name=where)
        refusals.check(check_planner, planner, district, street, where)
        needs_date = [s.id for s in template.stages if s.deadline.set_at_start]
        for stage_id in sorted(set(fixed_dues) - set(template.stage_ids)):
            refusals.errors.append(
                InvalidInput("--stage-deadline names unknown stage {stage}", stage=stage_id)
            )
        for key in sorted(set(fixed_dues) & set(template.stage_ids) - set(needs_date)):
            settable = [template.stage(s) for s in needs_date]
            refusals.errors.append(
                InvalidInput(
                    "stage {stage_name} has a deadline rule in the template; only {settable} take a deadline "
                    "at the start",
                    field=f"deadline.{key}",
                    stage=key,
                    stage_name=stage_name(template.stage(key)),
                    settable=Localized(
                        "、".join(s.name for s in settable) or "无",
                        ", ".join(f"{s.name_en or s.name} ({s.id})" for s in settable) or "none",
                    ),
                )
            )
        for stage_id in needs_date:
            due = fixed_dues.get(stage_id)
            if due is None:
                refusals.errors.append(
                    InvalidInput(
                        "stage {stage_name} needs its deadline set at start (a date like 2026-10-30)",
                        field=f"deadline.{stage_id}",
                        stage=stage_id,
                        stage_name=stage_name(template.stage(stage_id)),
                    )
                )
            elif due <= start_date:
                refusals.errors.append(
                    InvalidInput(
                        "the deadline of {stage_name} ({due}) must be later than the project start ({start})",
                        field=f"deadline.{stage_id}",
                        stage=stage_id,
                        stage_name=stage_name(template.stage(stage_id)),
                        due=due.isoformat(),
                        start=start_date.isoformat(),
                    )
                )
        refusals.raise_any()

        project = cls(
            id=None,
            name=name.strip(),
            district=district,
            street=street,
            community=community.strip(),
            planner_id=planner.id,
            coordinator_id=coordinator.id,
            template=template,
            params=dict(params),
            start_date=start_date,
            created_at=now,
            street_name=street_name,
            district_name=district_name,
            parties=dict(parties or {}),
        )
        project.parties_touched = bool(project.parties)
        for position, spec in enumerate(template.stages):
            project.stages[spec.id] = Stage(
                key=spec.id, position=position, fixed_due=fixed_dues.get(spec.id), spec=spec
            )
        project.touched = set(project.stages)
        events = [
            Event(
                EventKind.PROJECT_STARTED,
                now,
                coordinator.id,
                after=ProjectStatus.ACTIVE.value,
                data={
                    "name": project.name,
                    "district": district,
                    "street": street,
                    "community": project.community,
                    "planner": planner.id,
                    "team": planner.team,
                    "template": template.ref,
                    "params": dict(params),
                    "start_date": start_date.isoformat(),
                    **({"parties": dict(project.parties)} if project.parties else {}),
                },
            )
        ]
        # Stages with no dependencies start on the project's start date, which may be
        # earlier than the day it is registered (the events are stamped `now`) — or
        # later: then they stay pending until that day (see `begin`).
        if start_date <= local_date(now):
            events += project.begin(now, calendar)
        for stage in project.stages.values():
            if stage.deadline is None:
                events += project._refresh_deadline(stage, now, calendar, "project start")
        return project, events

    def has_begun(self) -> bool:
        return any(stage.state is not StageState.PENDING for stage in self.stages.values())

    def begin(self, now: dt.datetime, calendar: WorkingCalendar) -> list[Event]:
        """The start day has come: the stages with no dependencies start, dated on the
        project's start date. Nothing happens before that day, or a second time."""
        if self.has_begun() or self.start_date > local_date(now):
            return []
        start_moment = dt.datetime.combine(self.start_date, dt.time(), LOCAL_TZ).astimezone(dt.UTC)
        return self._activate_ready(now, calendar, started_at=start_moment)

    # -- lookups --------------------------------------------------------------------
    def stage(self, key: str) -> Stage:
        self.template.stage(key)  # raises NotFound naming the template's stages
        return self.stages[key]

    def ensure_allowed(self, key: str, actor: Person, action: Action) -> None:
        """Raise if ``actor`` may not take ``action`` on stage ``key`` now."""
        self._attempt(key, actor, action)

    def check_time(self, key: str, action: Action, time: ActingTime) -> None:
        """Raise if ``action`` on stage ``key`` may not be dated ``time.at``: not in
        the future, not before the project's start, the event it answers or the
        stage's last event (see the time rules in ``rules``)."""
        enforce_time(TimedAttempt(self, self.stage(key), action, time))

    def ensure_project_allowed(self, actor: Person, action: Action) -> None:
        """Raise if ``actor`` may not take ``action`` on the whole project now."""
        enforce_project(ProjectAttempt(self, actor, action))

    def _attempt(self, key: str, actor: Person, action: Action) -> Stage:
        stage = self.stage(key)
        enforce(Attempt(self, stage, actor, action))
        return stage

    def _touch(self, stage: Stage) -> None:
        self.touched.add(stage.key)

    # -- calendar ---------------------------------------------------------------------
    def recompute_deadlines(self, now: dt.datetime, calendar: WorkingCalendar, reason: str) -> list[Event]:
        """Recompute every deadline (after the calendar data changed). Only deadlines
        that actually change produce events."""
        events: list[Event] = []
        for stage in self.stages.values():
            events += self._refresh_deadline(stage, now, calendar, reason)
        return events

    def settle_stages(self, now: dt.datetime, calendar: WorkingCalendar, *, reason: str) -> list[Event]:
        """After the stages changed under a begun project (a move to another template
        version, ``models.migration``): the stages whose dependencies are all approved
        start now, the stages not started get their deadlines under the current rule
        (a started stage keeps its due date), and a project with every stage approved
        is completed."""
        events = self._activate_ready(now, calendar) if self.has_begun() else []
        for stage in self.stages.values():
            if stage.state is StageState.PENDING:
                events += self._refresh_deadline(stage, now, calendar, reason)
        if self.stages and all(s.state is StageState.APPROVED for s in self.stages.values()):
            self.status, self.completed_at, self.project_touched = ProjectStatus.COMPLETED, now, True
            events.append(
                Event(
                    EventKind.PROJECT_COMPLETED,
                    now,
                    SYSTEM_ACTOR,
                    before=ProjectStatus.ACTIVE.value,
                    after=ProjectStatus.COMPLETED.value,
                )
            )
        return events

    # -- internals: the steps the command groups share -----------------------------------
    def _newly_awaited(self, stage: Stage) -> dict[str, Any]:
        """For the event that makes a joint step the one a stage waits for: the
        parties it awaits (role → person on the project), whom it notifies."""
        step = stage.next_approval_level()
        if not isinstance(step, JointStep):
            return {}
        signed = {a.level.value for a in stage.approvals_this_round()}
        return {
            "awaited_parties": {
                p.value: self.parties.get(p.value) for p in step.parties if p.value not in signed
            }
        }

    def _close_pause(
        self, stage: Stage, actor_id: str, now: dt.datetime, calendar: WorkingCalendar, why: str
    ) -> list[Event]:
        pause = stage.open_pause()
        assert pause is not None
        if now < pause.paused_at:
            raise InvalidInput(
                "cannot resume at {now}: the clock was paused later, at {paused}",
                now=now.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
                paused=pause.paused_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
            )
        pause.resumed_at = now
        pause.resumed_by = actor_id
        pause.dirty = True
        self._touch(stage)
        period = pause.period()
        assert period.end is not None
        paused_days = calendar.working_days_between(period.start, period.end).days
        return [
            Event(
                EventKind.CLOCK_RESUMED,
                now,
                actor_id,
                stage=stage.key,
                before="paused",
                after="running",
                data={
                    "paused_working_days": paused_days,
                    "paused_at": pause.paused_at.isoformat(),
                    "reason": pause.reason,
                    "why": why,
                },
            ),
            *self._refresh_deadline(stage, now, calendar, f"clock paused {paused_days} working days"),
        ]

    def _approve_fully(
        self,
        stage: Stage,
        actor_id: str,
        now: dt.datetime,
        calendar: WorkingCalendar,
        record_event: bool = True,
    ) -> list[Event]:
        events: list[Event] = []
        stage.state = StageState.APPROVED
        stage.approved_at = now
        self._touch(stage)
        # a request still waiting (one made before submissions withdrew them) has
        # nothing left to extend: withdrawn by the approval, in its transaction
        withdrawn = self.withdraw_open_extension(stage, actor_id, now, why=WITHDRAWN_STAGE_APPROVED)
        if record_event:
            events.append(
                Event(
                    EventKind.STAGE_APPROVED,
                    now,
                    actor_id,
                    stage=stage.key,
                    before=StageState.SUBMITTED.value,
                    after=StageState.APPROVED.value,
                    data={
                        "level": None,
                        "final": True,
                        "round": stage.round,
                        "comment": "no approval required",
                    },
                )
            )
        events += withdrawn
        events += self._activate_ready(now, calendar)
        # a later stage's deadline may count from this approval
        for other in self.stages.values():
            if other.deadline is None:
                events += self._refresh_deadline(other, now, calendar, f"{stage.key} approved")
        if all(s.state is StageState.APPROVED for s in self.stages.values()):
            self.status = ProjectStatus.COMPLETED
            self.completed_at = now
            self.project_touched = True
            events.append(
                Event(
                    EventKind.PROJECT_COMPLETED,
                    now,
                    actor_id,
                    before=ProjectStatus.ACTIVE.value,
                    after=ProjectStatus.COMPLETED.value,
                )
            )
        return events

    def _activate_ready(
        self, now: dt.datetime, calendar: WorkingCalendar, started_at: dt.datetime | None = None
    ) -> list[Event]:
        started_at = started_at or now
        events: list[Event] = []
        for stage in self.stages.values():
            if stage.state is not StageState.PENDING:
                continue
            deps = self.template.dependencies(stage.key)
            if all(self.stages[d].state is StageState.APPROVED for d in deps):
                stage.state = StageState.IN_PROGRESS
                stage.activated_at = started_at
                self._touch(stage)
                events.append(
                    Event(
                        EventKind.STAGE_ACTIVATED,
                        now,
                        SYSTEM_ACTOR,
                        stage=stage.key,
                        before=StageState.PENDING.value,
                        after=StageState.IN_PROGRESS.value,
                        data={"started_on": local_date(started_at).isoformat()},
                    )
                )
                events += self._refresh_deadline(stage, now, calendar, "stage started")
        return events

    def _refresh_deadline(
        self, stage: Stage, now: dt.datetime, calendar: WorkingCalendar, reason: str
    ) -> list[Event]:
        if stage.state is StageState.APPROVED and stage.deadline is not None:
            return []  # a closed stage keeps the deadline it was judged against
        new = stage_deadline(self, stage, calendar)
        old = stage.deadline
        if new is None or (
            old is not None
            and old.due == new.due
            and old.provisional == new.provisional
            and old.basis == new.basis
        ):
            return []
        stage.deadline = new
        self._touch(stage)
        return [
            Event(
                EventKind.DEADLINE_SET if old is None else EventKind.DEADLINE_CHANGED,
                now,
                SYSTEM_ACTOR,
                stage=stage.key,
                before=old.due.isoformat() if old else None,
                after=new.due.isoformat(),
                data={**new.to_record(), "reason": reason},
            )
        ]
