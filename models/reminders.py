"""Who is told what, and when: reminder and escalation decisions, the notifications
that domain events cause, and quiet hours. Pure: the sweep and the service layer
feed it facts and a date; it returns notification intents.

Every intent carries a unique key (audience, project, stage, kind, occurrence). The
*occurrence* names the period a reminder belongs to — e.g. "the 2nd overdue
period of the deadline 2026-04-14" — so a sweep that runs twice, or late, or in two
processes at once, queues each reminder exactly once, and a moved deadline starts a
new series.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .calendar import WorkingCalendar
from .deadlines import LOCAL_TZ
from .events import Event, EventKind
from .template import ApprovalLevel, EvidenceType, ReminderPolicy, StageSpec


class NotificationKind(StrEnum):
    # reminders and escalations (collected into one daily digest per recipient)
    DUE_SOON = "due-soon"
    DUE_TODAY = "due-today"
    OVERDUE = "overdue"
    ESCALATION_STREET_OFFICE = "escalation-street-office"
    ESCALATION_DISTRICT = "escalation-district"
    APPROVAL_WAITING = "approval-waiting"
    # caused by a person's action (sent on their own, as they happen)
    PROJECT_STARTED = "project-started"
    APPROVAL_REQUESTED = "approval-requested"
    STAGE_RETURNED = "stage-returned"
    STAGE_APPROVED = "stage-approved"
    EXTENSION_REQUESTED = "extension-requested"
    EXTENSION_DECIDED = "extension-decided"
    PROJECT_SUSPENDED = "project-suspended"
    PROJECT_RESUMED = "project-resumed"
    PROJECT_CANCELLED = "project-cancelled"
    PROJECT_HANDED_OVER = "project-handed-over"
    DECISION_UNDONE = "decision-undone"
    STAGE_LOOPED = "stage-looped"  # a failed consent looped back for a new round
    # the quarterly compliance report, to district supervisors
    QUARTERLY_REPORT = "quarterly-report"
    # the event log's hash chain is broken (the daily sweep checks it), to districts
    AUDIT_BROKEN = "audit-broken"


DIGESTED = frozenset(
    {
        NotificationKind.DUE_SOON,
        NotificationKind.DUE_TODAY,
        NotificationKind.OVERDUE,
        NotificationKind.ESCALATION_STREET_OFFICE,
        NotificationKind.ESCALATION_DISTRICT,
        NotificationKind.APPROVAL_WAITING,
    }
)
ESCALATIONS = frozenset({NotificationKind.ESCALATION_STREET_OFFICE, NotificationKind.ESCALATION_DISTRICT})


# -- audiences ---------------------------------------------------------------------------


def person(person_id: str) -> str:
    return f"person:{person_id}"


def street_office(street: str) -> str:
    return f"street-office:{street}"


def district(district_id: str) -> str:
    return f"district:{district_id}"


def approvers(level: ApprovalLevel | str, district_id: str, street: str) -> str:
    return (
        street_office(street)
        if ApprovalLevel(level) is ApprovalLevel.STREET_OFFICE
        else district(district_id)
    )


def waiting_audiences(facts: StageFacts) -> list[str]:
    """Who a waiting approval reminds: the approvers of the level, or — a joint step
    (会签/或签) — each party still awaited, in person."""
    if facts.waiting_level in JOINT_MODES:
        return [person(p) for p in facts.awaited]
    assert facts.waiting_level is not None
    return [approvers(facts.waiting_level, facts.district, facts.street)]


#: what ``waiting_for`` holds for a stage waiting for a joint step
JOINT_MODES = ("all", "any")


#: how the outbox records a message no channel of the Apprise config is tagged for
#: (stored errors are English, as the log keeps them; the edge words them for the
#: reader: labels.delivery_error_text)
NO_CHANNEL_PREFIX = "no channel is tagged "
NO_CHANNEL_SUFFIX = " in the Apprise config"


def audience_tag(audience: str) -> str:
    """The Apprise tag that reaches an audience: person-wangrb,
    street-office-taiyanggong, district-chaoyang."""
    kind, _, ident = audience.partition(":")
    return f"{kind}-{ident}"


@dataclass(frozen=True)
class Intent:
    """One notification to queue."""

    audience: str
    kind: NotificationKind
    project_id: int | None
    stage: str | None
    occurrence: str
    payload: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def dedupe_key(self) -> str:
        project = "-" if self.project_id is None else self.project_id
        return f"{self.audience}|{project}|{self.stage or '-'}|{self.kind.value}|{self.occurrence}"

    @property
    def digested(self) -> bool:
        return self.kind in DIGESTED


def attachment_only(spec: StageSpec) -> bool:
    """A stage whose evidence is files only: its next step is an upload."""
    return bool(spec.evidence) and all(f.type is EvidenceType.ATTACHMENT for f in spec.evidence)


# -- reminders and escalations -------------------------------------------------------------


@dataclass(slots=True)
class StageFacts:
    """What the sweep knows about one open stage. Ids decide (audiences, keys);
    names are what people read."""

    project_id: int
    project_name: str
    district: str
    street: str
    planner: str
    stage: str
    stage_name: str
    state: str  # in_progress | submitted
    due: dt.date | None = None
    provisional: bool = False
    paused: bool = False
    submitted_on: dt.date | None = None
    round: int = 1
    waiting_level: str | None = None
    # a joint step: the people of the parties still awaited
    awaited: tuple[str, ...] = ()
    planner_name: str | None = None
    street_name: str | None = None
    district_name: str | None = None
    stage_name_en: str | None = None
    attachment_only: bool = False

    def payload(self, **extra: Any) -> dict[str, Any]:
        base = {
            "project_id": self.project_id,
            "project": self.project_name,
            "stage": self.stage,
            "stage_name": self.stage_name,
            "stage_name_en": self.stage_name_en,
            "planner": self.planner,
            "planner_name": self.planner_name,
            "street": self.street,
            "street_name": self.street_name,
            "district": self.district,
            "district_name": self.district_name,
            "due": self.due.isoformat() if self.due else None,
            "provisional": self.provisional,
            "attachment_only": self.attachment_only,
            "round": self.round,
        }
        return {**base, **extra}


def reminders_for(
    facts: StageFacts, today: dt.date, policy: ReminderPolicy, calendar: WorkingCalendar
) -> list[Intent]:
    """The reminders and escalations one stage calls for on ``today``.

    - before the deadline: the planner, once per ``before_due`` threshold reached
      (a sweep that missed the exact day still sends it);
    - on the due day: the planner;
    - overdue: the planner on the 1st overdue working day, then every
      ``overdue_every`` working days; the street office once after
      ``escalate_street_office_after`` working days, the district once after
      ``escalate_district_after``;
    - a done stage waiting for approval ``approval_wait`` working days or more:
      the approvers of the level it waits for, again every ``approval_wait`` days.
    """
    intents: list[Intent] = []
    if facts.state == "in_progress" and facts.due is not None and not facts.paused:
        due = facts.due
        tag = due.isoformat()
        planner = person(facts.planner)
        if today < due:
            left = calendar.working_days_between(
                today + dt.timedelta(days=1), due + dt.timedelta(days=1)
            ).days
            reached = [n for n in policy.before_due if left <= n]
            if reached:
                threshold = min(reached)
                intents.append(
                    Intent(
                        planner,
                        NotificationKind.DUE_SOON,
                        facts.project_id,
                        facts.stage,
                        f"{tag}:before:{threshold}",
                        facts.payload(working_days_left=left),
                    )
                )
        elif today == due:
            if policy.on_due_day:
                intents.append(
                    Intent(
                        planner,
                        NotificationKind.DUE_TODAY,
                        facts.project_id,
                        facts.stage,
                        f"{tag}:today",
                        facts.payload(working_days_left=0),
                    )
                )
        else:
            late = calendar.working_days_late(due, today).days
            if late >= 1:
                period = (late - 1) // policy.overdue_every if policy.overdue_every else 0
                if policy.overdue_every or period == 0:
                    intents.append(
                        Intent(
                            planner,
                            NotificationKind.OVERDUE,
                            facts.project_id,
                            facts.stage,
                            f"{tag}:late:{period}",
                            facts.payload(working_days_overdue=late),
                        )
                    )
            street_after = policy.escalate_street_office_after
            if street_after is not None and late >= street_after:
                intents.append(
                    Intent(
                        street_office(facts.street),
                        NotificationKind.ESCALATION_STREET_OFFICE,
                        facts.project_id,
                        facts.stage,
                        f"{tag}:escalated",
                        facts.payload(working_days_overdue=late),
                    )
                )
            district_after = policy.escalate_district_after
            if district_after is not None and late >= district_after:
                intents.append(
                    Intent(
                        district(facts.district),
                        NotificationKind.ESCALATION_DISTRICT,
                        facts.project_id,
                        facts.stage,
                        f"{tag}:escalated",
                        facts.payload(working_days_overdue=late),
                    )
                )
    if (
        facts.state == "submitted"
        and facts.submitted_on is not None
        and facts.waiting_level is not None
        and policy.approval_wait is not None
    ):
        waited = calendar.working_days_late(facts.submitted_on, today).days
        if waited >= policy.approval_wait:
            period = (waited - policy.approval_wait) // policy.approval_wait
            intents.extend(
                Intent(
                    audience,
                    NotificationKind.APPROVAL_WAITING,
                    facts.project_id,
                    facts.stage,
                    f"{facts.submitted_on.isoformat()}:r{facts.round}:{facts.waiting_level}:wait:{period}",
                    facts.payload(working_days_waiting=waited, level=facts.waiting_level),
                )
                for audience in waiting_audiences(facts)
            )
    return intents


# -- notifications caused by events ------------------------------------------------------------


@dataclass(frozen=True)
class StageInfo:
    """One stage as the project stands after a change: what a message names next."""

    id: str
    name: str
    name_en: str | None = None
    due: dt.date | None = None
    provisional: bool = False
    attachment_only: bool = False  # its evidence is files only


@dataclass(frozen=True)
class ProjectFacts:
    project_id: int
    name: str
    district: str
    street: str
    planner: str
    coordinator: str
    stage_names: dict[str, str]
    # names people read (ids stay in the payload for scripts)
    planner_name: str | None = None
    coordinator_name: str | None = None
    street_name: str | None = None
    district_name: str | None = None
    people_names: dict[str, str] = field(default_factory=dict)
    stages: tuple[StageInfo, ...] = ()  # in the template's order

    def stage_info(self, stage: str | None) -> StageInfo | None:
        return next((s for s in self.stages if s.id == stage), None)

    def stage_after(self, stage: str | None) -> StageInfo | None:
        ids = [s.id for s in self.stages]
        if stage not in ids:
            return None
        later = self.stages[ids.index(stage) + 1 :]
        return later[0] if later else None


def _due_text(info: StageInfo | None) -> str | None:
    return info.due.isoformat() if info is not None and info.due is not None else None


def notifications_for_events(project: ProjectFacts, events: Iterable[Event]) -> list[Intent]:
    """Project started → the team, with the first deadline; stage done → the
    approvers it waits for, with the stage's deadline; returned → the planner, with
    the reason; approved → the planner, with the next stage and its deadline;
    extension asked → the street office; extension decided → the planner, with the
    new deadline."""
    intents: list[Intent] = []
    planner = person(project.planner)

    def payload(event: Event, **extra: Any) -> dict[str, Any]:
        info = project.stage_info(event.stage)
        return {
            "project_id": project.project_id,
            "project": project.name,
            "stage": event.stage,
            "stage_name": project.stage_names.get(event.stage or "", event.stage),
            "stage_name_en": info.name_en if info else None,
            "attachment_only": info.attachment_only if info else False,
            "planner": project.planner,
            "planner_name": project.planner_name,
            "coordinator": project.coordinator,
            "coordinator_name": project.coordinator_name,
            "street": project.street,
            "street_name": project.street_name,
            "district": project.district,
            "district_name": project.district_name,
            "actor": event.actor,
            "actor_name": project.people_names.get(event.actor),
            "at": event.at.isoformat(),
            **extra,
        }

    def next_stage(info: StageInfo | None) -> dict[str, Any]:
        if info is None:
            return {"next_stage": None}
        return {
            "next_stage": info.id,
            "next_stage_name": info.name,
            "next_stage_name_en": info.name_en,
            "next_due": _due_text(info),
            "next_provisional": info.provisional,
            "next_attachment_only": info.attachment_only,
        }

    for event in events:
        at = event.at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S")
        data = event.data
        if event.kind is EventKind.PROJECT_STARTED:
            for audience in (planner, street_office(project.street), person(project.coordinator)):
                intents.append(
                    Intent(
                        audience,
                        NotificationKind.PROJECT_STARTED,
                        project.project_id,
                        None,
                        "start",
                        payload(
                            event,
                            start_date=data.get("start_date"),
                            **next_stage(project.stages[0] if project.stages else None),
                        ),
                    )
                )
        elif event.kind is EventKind.STAGE_SUBMITTED or (
            event.kind is EventKind.STAGE_APPROVED and data.get("next_level")
        ):
            level = data.get("next_level") if event.kind is EventKind.STAGE_APPROVED else None
            level = level or data.get("first_level")
            if level in JOINT_MODES:
                # each party a joint step newly awaits is asked in person
                for role, party in (data.get("awaited_parties") or {}).items():
                    if party:
                        intents.append(
                            Intent(
                                person(party),
                                NotificationKind.APPROVAL_REQUESTED,
                                project.project_id,
                                event.stage,
                                f"r{data.get('round')}:{role}",
                                payload(
                                    event,
                                    level=role,
                                    note=data.get("note"),
                                    due=data.get("due") or _due_text(project.stage_info(event.stage)),
                                    round=data.get("round"),
                                ),
                            )
                        )
            elif level:
                intents.append(
                    Intent(
                        approvers(level, project.district, project.street),
                        NotificationKind.APPROVAL_REQUESTED,
                        project.project_id,
                        event.stage,
                        f"r{data.get('round')}:{level}",
                        payload(
                            event,
                            level=level,
                            note=data.get("note"),
                            due=data.get("due") or _due_text(project.stage_info(event.stage)),
                            round=data.get("round"),
                        ),
                    )
                )
        elif event.kind is EventKind.STAGE_RETURNED:
            intents.append(
                Intent(
                    planner,
                    NotificationKind.STAGE_RETURNED,
                    project.project_id,
                    event.stage,
                    f"r{data.get('round')}",
                    payload(event, reason=data.get("reason"), level=data.get("level")),
                )
            )
        elif event.kind is EventKind.STAGE_APPROVED and data.get("final"):
            intents.append(
                Intent(
                    planner,
                    NotificationKind.STAGE_APPROVED,
                    project.project_id,
                    event.stage,
                    f"r{data.get('round')}",
                    payload(event, level=data.get("level"), **next_stage(project.stage_after(event.stage))),
                )
            )
        elif event.kind is EventKind.STAGE_DECISION_UNDONE:
            # whoever the decision told hears that it was withdrawn: the planner of
            # a return or a final approval, the next level of an approval at one
            # level — or, when it made a joint step (会签/或签) the one awaited, each
            # party that step asked in person (a signature that left its step
            # waiting told nobody)
            next_level = data.get("next_level")
            if data.get("decision") == "approved" and not data.get("final") and next_level:
                audiences = (
                    [person(p) for p in (data.get("awaited_parties") or {}).values() if p]
                    if next_level in JOINT_MODES
                    else [approvers(next_level, project.district, project.street)]
                )
            else:
                audiences = [planner]
            for audience in audiences:
                intents.append(
                    Intent(
                        audience,
                        NotificationKind.DECISION_UNDONE,
                        project.project_id,
                        event.stage,
                        f"e{data.get('undone_event')}",
                        payload(
                            event,
                            decision=data.get("decision"),
                            level=data.get("level"),
                            reason=data.get("reason"),
                            decided_at=data.get("decided_at"),
                            stages_not_started=list(data.get("stages_not_started") or ()),
                        ),
                    )
                )
        elif event.kind is EventKind.STAGE_LOOPED:
            # the planner (who redoes the work), the street office (who approves it
            # again) and the coordinator hear of the new round
            target = project.stage_info(data.get("target"))
            extra = {
                "reason": data.get("reason"),
                "target": data.get("target"),
                "target_name": target.name if target else data.get("target"),
                "target_name_en": target.name_en if target else None,
                "target_due": _due_text(target),
                "stages_reset": list(data.get("stages_reset") or ()),
                "round": (data.get("rounds") or {}).get(data.get("target")),
            }
            for audience in (planner, street_office(project.street), person(project.coordinator)):
                intents.append(
                    Intent(
                        audience,
                        NotificationKind.STAGE_LOOPED,
                        project.project_id,
                        event.stage,
                        at,
                        payload(event, **extra),
                    )
                )
        elif event.kind is EventKind.EXTENSION_REQUESTED:
            intents.append(
                Intent(
                    street_office(project.street),
                    NotificationKind.EXTENSION_REQUESTED,
                    project.project_id,
                    event.stage,
                    at,
                    payload(
                        event,
                        working_days=data.get("working_days"),
                        reason=data.get("reason"),
                        due=_due_text(project.stage_info(event.stage)),
                    ),
                )
            )
        elif event.kind in (EventKind.EXTENSION_GRANTED, EventKind.EXTENSION_REFUSED):
            intents.append(
                Intent(
                    planner,
                    NotificationKind.EXTENSION_DECIDED,
                    project.project_id,
                    event.stage,
                    at,
                    payload(
                        event,
                        granted=event.kind is EventKind.EXTENSION_GRANTED,
                        granted_days=data.get("granted_days"),
                        comment=data.get("comment"),
                        new_due=_due_text(project.stage_info(event.stage)),
                    ),
                )
            )
        elif event.kind in _LIFE_KINDS:
            # the planner and the street office learn that the work stops, restarts
            # or ends, with the reason
            for audience in (planner, street_office(project.street)):
                intents.append(
                    Intent(
                        audience,
                        _LIFE_KINDS[event.kind],
                        project.project_id,
                        None,
                        at,
                        payload(
                            event,
                            reason=data.get("reason"),
                            suspended_working_days=data.get("suspended_working_days"),
                        ),
                    )
                )
        elif event.kind is EventKind.PROJECT_HANDED_OVER:
            # both planners and the street office; the project's planner is already the new one
            extra = {
                "from": data.get("from"),
                "from_name": project.people_names.get(data.get("from", "")),
                "to": data.get("to"),
                "to_name": project.people_names.get(data.get("to", "")),
                "note": data.get("note"),
                "open_stages": len(data.get("open_stages") or ()),
            }
            for audience in (
                person(data.get("from", "")),
                person(data.get("to", "")),
                street_office(project.street),
            ):
                intents.append(
                    Intent(
                        audience,
                        NotificationKind.PROJECT_HANDED_OVER,
                        project.project_id,
                        None,
                        at,
                        payload(event, **extra),
                    )
                )
    return intents


_LIFE_KINDS = {
    EventKind.PROJECT_SUSPENDED: NotificationKind.PROJECT_SUSPENDED,
    EventKind.PROJECT_RESUMED: NotificationKind.PROJECT_RESUMED,
    EventKind.PROJECT_CANCELLED: NotificationKind.PROJECT_CANCELLED,
}


# -- quiet hours ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuietHours:
    """No messages between ``start`` and ``end`` (Beijing time, may span midnight),
    nor on non-working days when ``non_working_days``."""

    start: dt.time
    end: dt.time
    non_working_days: bool = True

    def _quiet_time(self, t: dt.time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end

    def is_quiet(self, moment: dt.datetime, calendar: WorkingCalendar) -> bool:
        local = moment.astimezone(LOCAL_TZ)
        if self.non_working_days and not calendar.is_working_day(local.date()):
            return True
        return self._quiet_time(local.time())

    def next_allowed(self, moment: dt.datetime, calendar: WorkingCalendar) -> dt.datetime:
        """``moment`` if a message may go out then, else the first moment after it
        outside quiet hours (on a working day, when that matters)."""
        local = moment.astimezone(LOCAL_TZ)
        for _ in range(400):  # a year of holidays is far fewer steps than this
            if not self.is_quiet(local, calendar):
                return local.astimezone(dt.UTC)
            t = local.time()
            overnight_evening = self.start > self.end and t >= self.start
            if self._quiet_time(t) and not overnight_evening:
                day = local.date()  # the quiet period ends later today
            else:
                day = local.date() + dt.timedelta(days=1)
            local = dt.datetime.combine(day, self.end, LOCAL_TZ)
        return local.astimezone(dt.UTC)


# -- does a queued notification still hold? --------------------------------------------------

_ROUND = re.compile(r"(?:^|:)r(\d+):")
REMINDER_KINDS = frozenset(
    {
        NotificationKind.DUE_SOON,
        NotificationKind.DUE_TODAY,
        NotificationKind.OVERDUE,
        NotificationKind.ESCALATION_STREET_OFFICE,
        NotificationKind.ESCALATION_DISTRICT,
    }
)
APPROVAL_KINDS = frozenset({NotificationKind.APPROVAL_REQUESTED, NotificationKind.APPROVAL_WAITING})


@dataclass(frozen=True)
class StageNow:
    """A stage as it is when a queued notification about it comes to be sent."""

    project_active: bool
    state: str | None  # None: no such stage
    round: int = 1
    waiting_for: str | None = None
    due: dt.date | None = None
    paused: bool = False
    open_extensions: tuple[dt.datetime, ...] = ()  # when each open request was made


def occurrence_of(dedupe_key: str) -> str:
    """The occurrence part of a notification's unique key."""
    parts = dedupe_key.split("|", 4)
    return parts[4] if len(parts) == 5 else ""


def _at_tag(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S")


def stale_reason(kind: str, occurrence: str, payload: dict[str, Any], now: StageNow) -> str | None:
    """Why a notification queued earlier no longer holds (it is then dropped, not
    sent), or None when it still does: a reminder for a stage no longer in
    progress or whose deadline moved, an approval request for a stage already
    decided at that level, an extension request already decided. Notifications
    that report something that happened (started, returned, approved, decided)
    always hold."""
    try:
        kind = NotificationKind(kind)
    except ValueError:
        return None
    if kind not in REMINDER_KINDS | APPROVAL_KINDS | {NotificationKind.EXTENSION_REQUESTED}:
        return None
    if not now.project_active:
        return "project no longer active"
    if now.state is None:
        return "stage not found"
    if kind in REMINDER_KINDS:
        if now.state == "approved":
            return "stage already approved"
        if now.state == "submitted":
            return "stage already marked done"
        if now.state != "in_progress":
            return f"stage {now.state}"
        if now.paused:
            return "stage clock paused"
        queued_due = payload.get("due")
        if queued_due and now.due is not None and queued_due != now.due.isoformat():
            return f"deadline moved to {now.due.isoformat()}"
        return None
    if kind in APPROVAL_KINDS:
        if now.state == "approved":
            return "stage already approved"
        if now.state == "in_progress":
            return "stage already returned"
        if now.state != "submitted":
            return f"stage {now.state}"
        found = _ROUND.search(occurrence)
        queued_round = int(found.group(1)) if found else payload.get("round")
        if queued_round is not None and int(queued_round) != now.round:
            return "stage already decided in that round"
        level = payload.get("level")
        if level and now.waiting_for != level:
            return f"stage already approved at the {level} level"
        return None
    # an extension request: still open?
    if not any(_at_tag(at) == occurrence for at in now.open_extensions):
        return "extension already decided"
    return None
