"""The quarterly compliance report, rebuilt from the event log.

Nothing here reads the current state of a project: the figures come from replaying
the append-only events up to the cut-off (the quarter's end, or now for a quarter
still running), so re-running a past quarter later gives the same numbers however
the projects moved on. Definitions (also in the README):

- *active*: started on or before the quarter's end, not completed before it began;
  *started* / *completed*: the start date / the completion inside the quarter.
- *stages due*: stages whose deadline as of the cut-off falls in the quarter;
  *closed on time*: the stage's standing submission (not returned since) is dated on
  or before that deadline.
- *overdue now*: in progress (not done, clock running) past its deadline at the
  cut-off, counted in working days.
- *phases*: a phase (问需 / 问计 / 问效) is complete when all its stages are approved.
- *evidence totals*: from the submissions of stages approved inside the quarter.
- *approval latency*: working days from a submission to each decision on it
  (approve or return, any level) taken inside the quarter.
- a *new round* (``stage.looped``, a failed consent looped back): the stages reset
  start again — the old deadline of each no longer counts (a reset stage is neither
  due nor overdue for it), only the new round's deadline does.
- an *undone* decision (撤回, ``stage.decision_undone`` before the cut-off) counts
  as never given, and so does what it caused (stages started, deadlines set).
- *residents' satisfaction* (问效): for each project whose survey stage (a stage with
  ``satisfaction:``, answered by the residents) was approved inside the quarter, the
  average score of each dimension (改造内容 / 改造过程 / 长效管理) over the households
  that answered; overall, each dimension's average over all those households (each
  household weighs the same). Projects whose evaluation was typed without answers
  have no such row.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .calendar import WorkingCalendar
from .deadlines import LOCAL_TZ
from .errors import InvalidInput
from .satisfaction import DIMENSIONS

LEVELS = ("district", "street", "team", "project")
PHASES = ("before", "during", "after")
EVIDENCE_KEYS = (
    "households_interviewed",
    "observation_days",
    "sessions_held",
    "attendees",
    "households_surveyed",
    "households_consenting",
    "respondents",
)
#: the satisfaction survey's dimensions (``models.satisfaction``), in the report's order
SURVEY_DIMENSIONS = tuple(d.value for d in DIMENSIONS)
REMINDER_KINDS = frozenset({"due-soon", "due-today", "overdue", "approval-waiting"})
ESCALATION_KINDS = frozenset({"escalation-street-office", "escalation-district"})


# -- the period --------------------------------------------------------------------------


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        raw = text.strip().upper().replace("-", "")
        if len(raw) == 6 and raw[:4].isascii() and raw[:4].isdigit() and raw[4] == "Q" and raw[5] in "1234":
            if not 2000 <= int(raw[:4]) <= 2100:
                raise InvalidInput(
                    "--quarter: '{text}' is outside the years 2000–2100", field="quarter", text=text[:20]
                )
            return cls(int(raw[:4]), int(raw[5]))
        raise InvalidInput(
            "--quarter: '{text}' is not a quarter like 2026Q4", field="quarter", text=text[:20]
        )

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> dt.date:
        following = dt.date(self.year + (self.number == 4), (3 * self.number) % 12 + 1, 1)
        return following - dt.timedelta(days=1)

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first_day, dt.time(), LOCAL_TZ).astimezone(dt.UTC)

    @property
    def end(self) -> dt.datetime:
        """The first instant after the quarter (Asia/Shanghai)."""
        return dt.datetime.combine(self.last_day + dt.timedelta(days=1), dt.time(), LOCAL_TZ).astimezone(
            dt.UTC
        )

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    @classmethod
    def containing(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)


#: the quarters' ordinals as a Chinese reader writes them (2027年第一季度)
QUARTER_ORDINALS_ZH = ("一", "二", "三", "四")


def quarter_name(quarter: str, lang: str) -> str:
    """A quarter as people read it: ``2027Q1`` → 2027年第一季度 / 2027 Q1. The compact
    form stays in URLs, file names and the JSON export; text that is not a quarter is
    shown as it is."""
    year, q, number = quarter.partition("Q")
    if not (q and year.isdigit() and number in ("1", "2", "3", "4")):
        return quarter
    if lang == "zh":
        return f"{year}年第{QUARTER_ORDINALS_ZH[int(number) - 1]}季度"
    return f"{year} Q{number}"


def quarter_to_report(today: dt.date, calendar: WorkingCalendar) -> Quarter | None:
    """The quarter whose report is due ``today``: the previous quarter, on the first
    working day of a quarter (which may be a make-up weekend, or after a holiday
    week); None on every other day."""
    current = Quarter.containing(today)
    if calendar.roll_forward(current.first_day).value == today:
        return current.previous()
    return None


# -- inputs --------------------------------------------------------------------------------


class EventFact:
    """One row of the event log, as the report reads it. ``data`` is decoded from
    its JSON text only when asked for: most events (activations, deadlines) never
    are, and the report reads hundreds of thousands of them."""

    __slots__ = ("_data", "_raw", "actor", "after", "at", "id", "kind", "project_id", "stage")

    def __init__(
        self,
        id: int,
        kind: str,
        at: dt.datetime,
        project_id: int,
        stage: str | None,
        actor: str,
        after: str | None,
        data: Mapping[str, Any] | str,
    ):
        self.id, self.kind, self.at, self.project_id = id, kind, at, project_id
        self.stage, self.actor, self.after = stage, actor, after
        if data.__class__ is str:
            self._raw, self._data = data, None
        else:
            self._raw, self._data = None, data

    @property
    def data(self) -> Mapping[str, Any]:
        if self._data is None:
            self._data = json.loads(self._raw or "{}")
        return self._data

    @property
    def data_as_read(self) -> Mapping[str, Any] | str:
        """``data``, or its JSON text while not decoded yet (the smaller to keep)."""
        return (self._raw or "{}") if self._data is None else self._data


def _decoded(data: Mapping[str, Any] | str | None) -> Mapping[str, Any]:
    if data is None:
        return {}
    return json.loads(data) if isinstance(data, str) else data


@dataclass(slots=True)  # one per stage of every project replayed: 80,000 for a city
class StageReplay:
    key: str
    phase: str
    state: str = "pending"
    due: dt.date | None = None
    paused: bool = False
    submitted_at: dt.datetime | None = None
    # the last submission's data as read (its JSON text): decoded only when an
    # approval inside the quarter counts its evidence and survey — most never are
    submission: Mapping[str, Any] | str | None = None
    # a new round voided the submission's evidence (its survey answers stand)
    evidence_voided: bool = False
    # who held the stage when it was (last) submitted: its work counts for them,
    # whoever holds the project after a change of planner
    team: str | None = None

    @property
    def evidence(self) -> Mapping[str, Any]:
        return {} if self.evidence_voided else _decoded(self.submission).get("evidence") or {}

    @property
    def survey(self) -> Mapping[str, Any] | None:
        """The residents' satisfaction answers as the submission counted them (问效)."""
        return _decoded(self.submission).get("satisfaction")


@dataclass(slots=True)
class ProjectReplay:
    id: int
    name: str
    district: str
    street: str
    team: str
    planner: str
    start_date: dt.date
    stages: dict[str, StageReplay] = field(default_factory=dict)
    completed_at: dt.datetime | None = None
    # active | suspended | cancelled (completed: see completed_at), since when, why
    status: str = "active"
    status_at: dt.datetime | None = None
    status_reason: str | None = None
    cancelled_at: dt.datetime | None = None


# -- outputs -------------------------------------------------------------------------------


def _empty_figures() -> dict[str, Any]:
    return {
        "projects_active": 0,
        "projects_started": 0,
        "projects_completed": 0,
        "stages_due": 0,
        "stages_closed_on_time": 0,
        "on_time_rate": None,
        "overdue_now": 0,
        "overdue_working_days_max": 0,
        "phase_before_done": 0,
        "phase_during_done": 0,
        "phase_after_done": 0,
        "completed_with_all_phases": 0,
        **{key: 0 for key in EVIDENCE_KEYS},
        "consent_ratio": None,
        "satisfaction_pct": None,
        "decisions": 0,
        "approval_latency_median": None,
        "approval_latency_p90": None,
        "returns": 0,
        "reminders_sent": 0,
        "escalations_sent": 0,
        "pauses": 0,
        "extensions_requested": 0,
        "extensions_granted": 0,
    }


@dataclass
class _Accumulator:
    figures: dict[str, Any] = field(default_factory=_empty_figures)
    latencies: list[int] = field(default_factory=list)
    satisfaction_weighted: float = 0.0
    satisfaction_weight: int = 0

    def finish(self) -> dict[str, Any]:
        f = dict(self.figures)
        if f["stages_due"]:
            f["on_time_rate"] = round(f["stages_closed_on_time"] / f["stages_due"], 4)
        if f["households_surveyed"]:
            f["consent_ratio"] = round(f["households_consenting"] / f["households_surveyed"], 4)
        if self.satisfaction_weight:
            f["satisfaction_pct"] = round(self.satisfaction_weighted / self.satisfaction_weight, 1)
        if self.latencies:
            ordered = sorted(self.latencies)
            f["approval_latency_median"] = statistics.median(ordered)
            f["approval_latency_p90"] = ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]
        return f


@dataclass
class Report:
    quarter: str
    period_start: dt.date
    period_end: dt.date
    cutoff: dt.datetime
    complete_quarter: bool
    scope: dict[str, str | None]
    summary: dict[str, Any]
    rows: list[dict[str, Any]]  # one per district / street / team / project
    worst_overdue: list[dict[str, Any]]
    returns: list[dict[str, Any]]
    pauses: list[dict[str, Any]]
    extensions: list[dict[str, Any]]
    overdue_trend: list[dict[str, Any]]
    notifications_by_kind: dict[str, int]
    # projects suspended or cancelled at the cut-off, with the reason
    stopped: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    # what people read instead of ids, by kind ("district", "street", "team", "person",
    # "stage", "stage_en"): the writers show names, the JSON keeps the ids
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    # residents' satisfaction per evaluated project and overall (empty: no answers)
    satisfaction: list[dict[str, Any]] = field(default_factory=list)
    satisfaction_overall: dict[str, Any] = field(default_factory=dict)
    # residents' participation (问需/问计/问效 reached, comments, consent) per project,
    # street and district, and overall (``models.participation``; empty: no residents' data)
    participation: list[dict[str, Any]] = field(default_factory=list)
    participation_overall: dict[str, Any] = field(default_factory=dict)


# -- the replay ------------------------------------------------------------------------------


def _follow_migration(
    project: ProjectReplay, data: Mapping[str, Any], phases_by_template: Mapping[str, Mapping[str, str]]
) -> None:
    """A move to another template version (``models.migration``): the stages carried
    keep what they had under their new id (the events after the move name them by
    it), the removed ones leave, the added ones join not started, each stage in the
    phase the new version puts it."""
    phases = phases_by_template.get(str(data.get("template_to", "")), {})
    old = project.stages
    stages: dict[str, StageReplay] = {}
    for entry in data.get("stages") or ():
        before, after = entry.get("from"), entry.get("to")
        if after is None:
            continue
        stage = old.get(before) if before is not None else None
        if stage is None:
            stage = StageReplay(after, phases.get(after, ""))
        stage.key = after
        stage.phase = phases.get(after, stage.phase)
        stages[after] = stage
    project.stages = stages


#: later than every event: the replay's last checkpoint passed
_NEVER = dt.datetime.max.replace(tzinfo=dt.UTC)


def _local(moment: dt.datetime) -> dt.date:
    return moment.astimezone(LOCAL_TZ).date()


def build_report(
    *,
    quarter: Quarter,
    cutoff: dt.datetime,
    events: Iterable[EventFact],
    phases_by_template: Mapping[str, Mapping[str, str]],
    notifications: Iterable[tuple[int, str | None, str, int]],
    calendar: WorkingCalendar,
    district: str | None = None,
    street: str | None = None,
    worst: int = 20,
    undone: Collection[int] = frozenset(),
    project_names: Mapping[int, str] | None = None,
) -> Report:
    """Replay ``events`` (ordered by time, all at or before ``cutoff``) and compute the
    quarter's figures. ``notifications`` are (project id, stage, kind, count) of the
    notifications sent inside the quarter. ``undone``: the ids of the events an
    undo (``stage.decision_undone``) at or before the cut-off took back — with the
    undo events themselves they are skipped, as if the decision had not been given
    (see ``models.undo.undone_event_ids``). ``project_names``: each project's name
    now — a rename (``project.edited``) is a correction, so every report shows the
    corrected name, not the one the project started with."""
    q_start, q_end = quarter.start, min(quarter.end, cutoff)
    checkpoints = _weekly_checkpoints(quarter, cutoff)
    trend: list[dict[str, Any]] = []
    projects: dict[int, ProjectReplay] = {}
    accumulators: dict[tuple[str, str], _Accumulator] = defaultdict(_Accumulator)
    returns: list[dict[str, Any]] = []
    stopped: list[dict[str, Any]] = []
    pauses: list[dict[str, Any]] = []
    extensions: list[dict[str, Any]] = []
    surveys: list[dict[str, Any]] = []
    # decisions need the submission they decide on
    in_quarter = lambda moment: q_start <= moment < q_end  # noqa: E731

    # the rows a project's figures count in, by project and team: made once
    counted_in: dict[tuple[int, str], tuple[tuple[str, str], ...]] = {}

    def keys(project: ProjectReplay, team: str | None = None) -> tuple[tuple[str, str], ...]:
        """The rows a figure counts in; ``team``: the team that did the work, when
        not the project's team now (a stage submitted before a change of planner)."""
        team = team or project.team
        rows = counted_in.get((project.id, team))
        if rows is None:
            rows = counted_in[project.id, team] = (
                ("district", project.district),
                ("street", project.street),
                ("team", f"{project.street}/{team}"),  # a team under the street it serves
                ("project", str(project.id)),
            )
        return rows

    def add(project: ProjectReplay, name: str, amount: float = 1, team: str | None = None) -> None:
        for key in keys(project, team):
            accumulators[key].figures[name] += amount

    def in_scope(project: ProjectReplay) -> bool:
        return (district is None or project.district == district) and (
            street is None or project.street == street
        )

    # the end of the next week (the trend counts the overdue stages as the replay passes
    # it); _NEVER once all are passed
    upcoming = iter(checkpoints)
    checkpoint = next(upcoming, _NEVER)
    for event in events:
        kind, at = event.kind, event.at
        while at >= checkpoint:
            trend.append(_overdue_at(projects, checkpoint, in_scope))
            checkpoint = next(upcoming, _NEVER)
        if kind == "stage.decision_undone" or event.id in undone:
            continue
        if kind == "project.started":
            d = event.data
            phases = phases_by_template.get(d.get("template", ""), {})
            project = ProjectReplay(
                id=event.project_id,
                name=(project_names or {}).get(event.project_id) or d.get("name", ""),
                district=d.get("district", ""),
                street=d.get("street", ""),
                team=d.get("team") or f"({d.get('planner')})",
                planner=d.get("planner", ""),
                start_date=dt.date.fromisoformat(d["start_date"]),
                stages={key: StageReplay(key, phase) for key, phase in phases.items()},
            )
            projects[event.project_id] = project
            continue
        project = projects.get(event.project_id)
        if project is None:
            continue
        stage = project.stages.get(event.stage) if event.stage else None
        if kind == "project.completed":
            project.completed_at = at
            continue
        if kind in ("project.suspended", "project.resumed", "project.cancelled"):
            project.status = event.after or project.status
            project.status_at = at
            project.status_reason = event.data.get("reason") if kind != "project.resumed" else None
            if kind == "project.cancelled":
                project.cancelled_at = at
            continue
        if kind == "project.migrated":
            _follow_migration(project, event.data, phases_by_template)
            continue
        if kind == "project.handed_over":
            # from now on the project's work counts for the new planner's team
            project.planner = event.data.get("to") or event.after or project.planner
            project.team = event.data.get("team") or f"({project.planner})"
            continue
        if stage is None:
            continue
        if kind == "stage.looped":
            # a new round (models.loop): the reset stages start again — the target in
            # progress (its new deadline follows in a stage.deadline_set), the others
            # not started; their old deadlines, submissions and evidence no longer count
            target = event.data.get("target")
            for key in event.data.get("stages_reset") or ():
                reset = project.stages.get(key)
                if reset is None:
                    continue
                reset.state = "in_progress" if key == target else "pending"
                reset.due = None
                reset.paused = False
                reset.submitted_at = None
                reset.evidence_voided = True
            continue
        if kind == "stage.activated":
            stage.state = "in_progress"
        elif kind == "stage.deadline_set" or kind == "stage.deadline_changed":
            stage.due = dt.date.fromisoformat(event.after) if event.after else None
        elif kind == "stage.submitted":
            stage.state = "submitted"
            stage.submitted_at = at
            stage.submission, stage.evidence_voided = event.data_as_read, False
            stage.team = project.team
        elif kind == "stage.returned":
            if q_start <= at < q_end and in_scope(project):
                _decision(project, stage, event, calendar, accumulators, keys(project, stage.team))
                add(project, "returns", team=stage.team)
                returns.append(
                    {
                        "at": at.astimezone(LOCAL_TZ),
                        "project_id": project.id,
                        "project": project.name,
                        "street": project.street,
                        "stage": stage.key,
                        "level": event.data.get("level"),
                        "by": event.actor,
                        "reason": event.data.get("reason"),
                        # a substitute's return names the delegator too (代理审批)
                        "on_behalf_of": event.data.get("on_behalf_of"),
                    }
                )
            stage.state = "in_progress"
            stage.submitted_at = None
        elif kind == "stage.approved":
            counted = q_start <= at < q_end and in_scope(project)
            if counted and event.data.get("level"):
                _decision(project, stage, event, calendar, accumulators, keys(project, stage.team))
            if event.after == "approved":
                stage.state = "approved"
                if counted:
                    submitted = _decoded(stage.submission)
                    evidence = {} if stage.evidence_voided else submitted.get("evidence") or {}
                    _evidence(evidence, accumulators, keys(project, stage.team))
                    survey = submitted.get("satisfaction")
                    if survey:
                        surveys.append(survey_row(project, stage, survey))
        elif kind == "stage.clock_paused":
            stage.paused = True
            if q_start <= at < q_end and in_scope(project):
                add(project, "pauses")
                pauses.append(
                    {
                        "at": at.astimezone(LOCAL_TZ),
                        "project_id": project.id,
                        "project": project.name,
                        "street": project.street,
                        "stage": stage.key,
                        "by": event.actor,
                        "reason": event.data.get("reason"),
                        "resumed_at": None,
                        "paused_working_days": None,
                    }
                )
        elif kind == "stage.clock_resumed":
            stage.paused = False
            for entry in reversed(pauses):
                if (
                    entry["project_id"] == project.id
                    and entry["stage"] == stage.key
                    and entry["resumed_at"] is None
                ):
                    entry["resumed_at"] = at.astimezone(LOCAL_TZ)
                    entry["paused_working_days"] = event.data.get("paused_working_days")
                    break
        elif kind == "stage.extension_requested":
            if q_start <= at < q_end and in_scope(project):
                add(project, "extensions_requested")
                extensions.append(
                    {
                        "at": at.astimezone(LOCAL_TZ),
                        "project_id": project.id,
                        "project": project.name,
                        "street": project.street,
                        "stage": stage.key,
                        "by": event.actor,
                        "working_days": event.data.get("working_days"),
                        "reason": event.data.get("reason"),
                        "status": "requested",
                        "granted_days": None,
                        "decision": None,
                    }
                )
        elif kind == "stage.extension_withdrawn":
            # a new round withdrew it (models.loop), or the stage closed its clock or
            # the project was cancelled before a decision: no longer waiting, not granted
            for entry in reversed(extensions):
                if (
                    entry["project_id"] == project.id
                    and entry["stage"] == stage.key
                    and entry["status"] == "requested"
                ):
                    entry["status"] = (
                        "withdrawn" if event.data.get("why", "new_round") == "new_round" else "lapsed"
                    )
                    break
        elif kind in ("stage.extension_granted", "stage.extension_refused"):
            granted = kind == "stage.extension_granted"
            # a grant recorded on a stage already done or approved (before such grants
            # were refused) moved no deadline: it does not count as an extension
            # granted, and the request reads as withdrawn when the stage closed
            void = granted and stage.state not in ("in_progress", "pending")
            if q_start <= at < q_end and in_scope(project) and granted and not void:
                add(project, "extensions_granted")
            for entry in reversed(extensions):
                if (
                    entry["project_id"] == project.id
                    and entry["stage"] == stage.key
                    and entry["status"] == "requested"
                ):
                    entry["status"] = "lapsed" if void else "granted" if granted else "refused"
                    entry["granted_days"] = None if void else event.data.get("granted_days")
                    entry["decision"] = event.data.get("comment")
                    break
    while checkpoint is not _NEVER:
        trend.append(_overdue_at(projects, checkpoint, in_scope))
        checkpoint = next(upcoming, _NEVER)

    # the last day the report covers: a cut-off at the quarter's end (midnight) is the
    # state at the end of its last day
    cutoff_day = _local(cutoff - dt.timedelta(microseconds=1))
    # a stage is due by the cut-off when its last day ended before it
    due_before = _local(cutoff)
    first_day, last_day = quarter.first_day, quarter.last_day
    overdue: list[dict[str, Any]] = []
    for project in projects.values():
        if not in_scope(project):
            continue
        started = project.start_date
        completed = project.completed_at
        cancelled = project.cancelled_at
        if (
            started <= last_day
            and started <= cutoff_day
            and (completed is None or completed >= q_start)
            and (cancelled is None or cancelled >= q_start)
        ):
            add(project, "projects_active")
        if project.status in ("suspended", "cancelled"):
            stopped.append(
                {
                    "project_id": project.id,
                    "project": project.name,
                    "street": project.street,
                    "planner": project.planner,
                    "status": project.status,
                    "since": project.status_at.astimezone(LOCAL_TZ) if project.status_at else None,
                    "reason": project.status_reason,
                }
            )
        if first_day <= started <= last_day and started <= cutoff_day:
            add(project, "projects_started")
        if completed is not None and in_quarter(completed):
            add(project, "projects_completed")
        phase_done = {
            phase: bool(stages) and all(s.state == "approved" for s in stages)
            for phase in PHASES
            for stages in [[s for s in project.stages.values() if s.phase == phase]]
        }
        for phase in PHASES:
            if phase_done[phase]:
                add(project, f"phase_{phase}_done")
        if completed is not None and in_quarter(completed) and all(phase_done.values()):
            add(project, "completed_with_all_phases")
        for stage in project.stages.values():
            if project.status == "cancelled" and stage.state != "approved":
                continue  # a cancelled project's open stages are neither due nor overdue
            closed = stage.submitted_at is not None and stage.state in ("submitted", "approved")
            # a stage due this quarter counts once its outcome is known: closed, or its
            # due date passed by the cut-off (mid-quarter, an open stage not yet due
            # cannot be late yet and does not pull the rate down)
            if (
                stage.due is not None
                and first_day <= stage.due <= last_day
                and (closed or stage.due < due_before)
            ):
                # a closed stage counts for whoever submitted it; an open one for its holder now
                team = stage.team if closed else None
                add(project, "stages_due", team=team)
                if closed and _local(stage.submitted_at) <= stage.due:
                    add(project, "stages_closed_on_time", team=team)
            if (
                stage.state == "in_progress"
                and not stage.paused
                and stage.due is not None
                and stage.due < cutoff_day
            ):
                late = calendar.working_days_late(stage.due, cutoff_day).days
                add(project, "overdue_now")
                for key in keys(project):
                    figures = accumulators[key].figures
                    figures["overdue_working_days_max"] = max(figures["overdue_working_days_max"], late)
                overdue.append(
                    {
                        "project_id": project.id,
                        "project": project.name,
                        "district": project.district,
                        "street": project.street,
                        "team": project.team,
                        "planner": project.planner,
                        "stage": stage.key,
                        "due": stage.due,
                        "working_days_overdue": late,
                    }
                )

    counts: Counter[str] = Counter()
    for project_id, _stage, kind, count in notifications:
        project = projects.get(project_id)
        if project is None or not in_scope(project):
            continue
        counts[kind] += count
        if kind in ESCALATION_KINDS:
            add(project, "escalations_sent", count)
        elif kind in REMINDER_KINDS:
            add(project, "reminders_sent", count)

    names = {p.id: p.name for p in projects.values()}
    summary_acc = _Accumulator()
    for (level, _key), acc in accumulators.items():
        if level == "district":
            _merge(summary_acc, acc)
    rows = []
    hierarchy = {}
    for project in projects.values():
        hierarchy[("street", project.street)] = (project.district, project.street, None)
        hierarchy[("team", f"{project.street}/{project.team}")] = (
            project.district,
            project.street,
            project.team,
        )
        hierarchy[("project", str(project.id))] = (project.district, project.street, project.team)
        for stage in project.stages.values():  # a team that held the project before a handover
            if stage.team and stage.team != project.team:
                hierarchy[("team", f"{project.street}/{stage.team}")] = (
                    project.district,
                    project.street,
                    stage.team,
                )
        hierarchy[("district", project.district)] = (project.district, None, None)
    # each row's figures leave the accumulators as the row is made: the two are never
    # all in memory at once (a row per project)
    for level, key in sorted(accumulators, key=lambda item: _order(item, hierarchy)):
        acc = accumulators.pop((level, key))
        district_id, street_id, team = hierarchy.get((level, key), (None, None, None))
        row = {
            "level": level,
            "key": key,
            "district": district_id,
            "street": street_id if level != "district" else None,
            "team": team if level in ("team", "project") else None,
            "name": names.get(int(key), key) if level == "project" else (team if level == "team" else key),
            **acc.finish(),
        }
        rows.append(row)
    overdue.sort(key=lambda item: (-item["working_days_overdue"], item["due"], item["project_id"]))
    returns.sort(key=lambda item: item["at"])
    return Report(
        quarter=quarter.label,
        period_start=quarter.first_day,
        period_end=quarter.last_day,
        cutoff=cutoff.astimezone(LOCAL_TZ),
        complete_quarter=cutoff >= quarter.end,
        scope={"district": district, "street": street},
        summary=summary_acc.finish(),
        rows=rows,
        worst_overdue=overdue[:worst],
        returns=returns,
        pauses=pauses,
        extensions=extensions,
        overdue_trend=trend,
        notifications_by_kind=dict(sorted(counts.items())),
        stopped=stopped,
        satisfaction=surveys,
        satisfaction_overall=survey_overall(surveys),
    )


def survey_row(
    project: ProjectReplay, stage: StageReplay, survey: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """An evaluated project's satisfaction: each dimension's average score (two
    decimals) over its households that answered, and the satisfied share
    (``survey``: the stage's, when already read)."""
    survey = (stage.survey if survey is None else survey) or {}
    sums = survey.get("sums") or {}
    respondents = int(survey.get("respondents") or 0)
    satisfied = int(survey.get("satisfied") or 0)
    return {
        "project_id": project.id,
        "project": project.name,
        "district": project.district,
        "street": project.street,
        "stage": stage.key,
        "households": survey.get("households"),
        "respondents": respondents,
        "_sums": {d: int(sums.get(d) or 0) for d in SURVEY_DIMENSIONS},
        **_averages(sums, respondents),
        "satisfied": satisfied,
        "satisfaction_pct": round(100 * satisfied / respondents, 1) if respondents else None,
    }


def survey_overall(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Each dimension's average over every household that answered in the evaluated
    projects (weighted by their respondents); empty without any."""
    if not rows:
        return {}
    respondents = sum(r["respondents"] for r in rows)
    satisfied = sum(r["satisfied"] for r in rows)
    sums = {d: sum(r["_sums"][d] for r in rows) for d in SURVEY_DIMENSIONS}
    for row in rows:
        del row["_sums"]
    return {
        "projects": len(rows),
        "respondents": respondents,
        **_averages(sums, respondents),
        "satisfied": satisfied,
        "satisfaction_pct": round(100 * satisfied / respondents, 1) if respondents else None,
    }


def _averages(sums: Mapping[str, Any], respondents: int) -> dict[str, float | None]:
    return {
        d: round(int(sums.get(d) or 0) / respondents, 2) if respondents else None for d in SURVEY_DIMENSIONS
    }


def _decision(project, stage, event, calendar, accumulators, keys) -> None:  # type: ignore[no-untyped-def]
    """A decision (``keys``: the rows it counts in) and, on a submission, how long it waited."""
    waited = None
    if stage.submitted_at is not None:
        waited = calendar.working_days_late(_local(stage.submitted_at), _local(event.at)).days
    for key in keys:
        acc = accumulators[key]
        acc.figures["decisions"] += 1
        if waited is not None:
            acc.latencies.append(waited)


def _evidence(evidence, accumulators, keys) -> None:  # type: ignore[no-untyped-def]
    """An approved submission's evidence, counted in the rows of ``keys``."""
    amounts = [
        (name, value)
        for name in EVIDENCE_KEYS
        if isinstance(value := evidence.get(name), int | float) and not isinstance(value, bool)
    ]
    satisfaction, respondents = evidence.get("satisfaction_pct"), evidence.get("respondents")
    weighted = isinstance(satisfaction, int | float) and isinstance(respondents, int) and respondents > 0
    for key in keys:
        acc = accumulators[key]
        figures = acc.figures
        for name, value in amounts:
            figures[name] += value
        if weighted:
            acc.satisfaction_weighted += satisfaction * respondents
            acc.satisfaction_weight += respondents


def _merge(into: _Accumulator, other: _Accumulator) -> None:
    for name, value in other.figures.items():
        if name == "overdue_working_days_max":
            into.figures[name] = max(into.figures[name], value)
        elif isinstance(value, int | float) and into.figures.get(name) is not None:
            into.figures[name] += value
    into.latencies += other.latencies
    into.satisfaction_weighted += other.satisfaction_weighted
    into.satisfaction_weight += other.satisfaction_weight


def _order(
    item: tuple[str, str], hierarchy: Mapping[tuple[str, str], tuple[Any, Any, Any]]
) -> tuple[Any, ...]:
    level, key = item
    district, street, team = hierarchy.get(item, ("", "", ""))
    position = LEVELS.index(level)
    return (position, district or "", street or "", team or "", int(key) if level == "project" else key)


def _weekly_checkpoints(quarter: Quarter, cutoff: dt.datetime) -> list[dt.datetime]:
    """The end of each week (Sunday 24:00, Beijing) inside the quarter, and its end."""
    points = []
    day = quarter.first_day
    while day <= quarter.last_day:
        if day.weekday() == 6 or day == quarter.last_day:
            moment = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), LOCAL_TZ).astimezone(dt.UTC)
            if moment <= cutoff:
                points.append(moment)
        day += dt.timedelta(days=1)
    return points


def _overdue_at(projects: Mapping[int, ProjectReplay], moment: dt.datetime, in_scope: Any) -> dict[str, Any]:
    day = _local(moment) - dt.timedelta(days=1)  # the state at the end of that day
    count = 0  # (run at every week's end over every stage: plain loops)
    for project in projects.values():
        if project.status == "cancelled" or not in_scope(project):
            continue
        for stage in project.stages.values():
            due = stage.due
            if stage.state == "in_progress" and not stage.paused and due is not None and due < day:
                count += 1
    return {"date": day, "overdue": count}
