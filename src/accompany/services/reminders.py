"""The reminder sweep: find the stages that call for a reminder or escalation today
and queue each notification exactly once.

The decision reads flat rows (no aggregates) in two queries and decides in memory
with O(1) working-day arithmetic; queueing is batched, each batch one transaction
with ``ON CONFLICT DO NOTHING`` on the unique key — a crash mid-sweep loses nothing
(re-run it) and two sweeps at once queue nothing twice.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, and_, cast, func, or_, select

from ..db.orm import (
    ApprovalRow,
    DistrictRow,
    PersonRow,
    ProjectPartyRow,
    ProjectRow,
    StageRow,
    StreetRow,
    TemplateRow,
)
from ..models.deadlines import local_date
from ..models.errors import AccompanyError, Conflict
from ..models.parties import step_complete
from ..models.reminders import JOINT_MODES, Intent, StageFacts, attachment_only, reminders_for
from ..models.states import ProjectStatus, StageState
from ..models.template import JointStep, ProcessTemplate
from .audit import SWEEP_TAIL, AuditReport, raise_alert, verify_log
from .calendar import sync_calendar
from .commands import begin_due_projects
from .delegation import reach_substitutes

if TYPE_CHECKING:
    from ..bootstrap import App

QUEUE_CHUNK = 2000
Progress = Callable[[int, int], None]


@dataclass
class SweepResult:
    today: dt.date
    #: the stages the reminder rules were applied to: those in progress with a deadline
    #: within the longest notice (not paused) and those awaiting a decision
    stages_considered: int = 0
    #: every stage in progress or awaiting a decision in an active project
    stages_open: int = 0
    intents: list[Intent] = field(default_factory=list)
    queued: int = 0
    already_queued: int = 0
    deadlines_recomputed: int = 0
    projects_begun: int = 0
    dry_run: bool = False
    # the keys this sweep queued (or, dry, would queue); the other intents were
    # queued before
    new_keys: set[str] = field(default_factory=set)
    # the check of the event log's newest events (hash chain, append-only triggers)
    audit: AuditReport | None = None
    audit_alerts: int = 0
    # the calendar on this machine is older than the deadlines' (services.calendar)
    calendar_refused: AccompanyError | None = None

    def is_new(self, intent: Intent) -> bool:
        return intent.dedupe_key in self.new_keys

    def by_kind(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for intent in self.intents:
            counts[intent.kind.value] = counts.get(intent.kind.value, 0) + 1
        return counts


def decide(app: App, today: dt.date) -> tuple[int, list[Intent]]:
    """(stages considered, reminder intents) for ``today`` — the decision step the
    benchmark times. It reads plain rows through Core (no ORM identity map, no JSON
    decoding of parameters per row) and caches templates and stage specs, because it
    runs over every open stage of a city."""
    calendar = app.calendar
    stage, project = StageRow.__table__.c, ProjectRow.__table__.c
    with app.reader() as uow:
        session = uow.session
        template_pks = list(session.connection().execute(select(TemplateRow.__table__.c.pk)).scalars())
        templates: dict[tuple[int, str], ProcessTemplate] = {}
        specs: dict[tuple[int, str, str], Any] = {}

        def template_for(pk: int, params_text: str) -> ProcessTemplate:
            key = (pk, params_text)
            if key not in templates:
                params = json.loads(params_text) if params_text else {}
                templates[key] = uow.templates.parsed_by_pk(pk, params)
            return templates[key]

        longest_notice = max(
            [max((*template_for(pk, "").reminders.before_due, 0)) for pk in template_pks] + [0]
        )
        # the last day still within `longest_notice` working days: a deadline on the
        # weekend after the Nth working day has only N working days left too
        horizon = calendar.add_working_days(today, longest_notice + 1).value - dt.timedelta(days=1)
        rows = (
            session.connection()
            .execute(
                select(
                    stage.id,
                    stage.project_id,
                    stage.key,
                    stage.state,
                    stage.due_date,
                    stage.due_provisional,
                    stage.submitted_at,
                    stage.round,
                    stage.waiting_for,
                    project.name,
                    project.district_id,
                    project.street_id,
                    project.planner_id,
                    project.template_pk,
                    cast(project.params, String).label("params"),
                )
                .join_from(StageRow.__table__, ProjectRow.__table__, stage.project_id == project.id)
                .where(
                    project.status == ProjectStatus.ACTIVE.value,
                    or_(
                        and_(
                            stage.state == StageState.IN_PROGRESS.value,
                            stage.paused_since.is_(None),
                            stage.due_date.is_not(None),
                            stage.due_date <= horizon,
                        ),
                        stage.state == StageState.SUBMITTED.value,
                    ),
                )
            )
            .all()
        )
        # the names people read, once per sweep
        people = dict(
            session.connection().execute(select(PersonRow.__table__.c.id, PersonRow.__table__.c.name)).all()
        )
        streets = dict(
            session.connection().execute(select(StreetRow.__table__.c.id, StreetRow.__table__.c.name)).all()
        )
        districts = dict(
            session.connection()
            .execute(select(DistrictRow.__table__.c.id, DistrictRow.__table__.c.name))
            .all()
        )
        awaited = _awaited_parties(uow, [r for r in rows if r.waiting_for in JOINT_MODES], template_for)
        intents: list[Intent] = []
        for r in rows:
            params_text = "" if r.params in (None, "{}", "null") else r.params
            spec_key = (r.template_pk, params_text, r.key)
            found = specs.get(spec_key)
            if found is None:
                template = template_for(r.template_pk, params_text)
                spec = template.stage(r.key)
                found = specs[spec_key] = (spec, template.reminder_policy(r.key), attachment_only(spec))
            spec, policy, files_only = found
            facts = StageFacts(
                project_id=r.project_id,
                project_name=r.name,
                district=r.district_id,
                street=r.street_id,
                planner=r.planner_id,
                stage=r.key,
                stage_name=spec.name,
                state=r.state,
                due=r.due_date,
                provisional=r.due_provisional,
                submitted_on=local_date(r.submitted_at) if r.submitted_at else None,
                round=r.round,
                waiting_level=r.waiting_for,
                awaited=awaited.get(r.id, ()),
                planner_name=people.get(r.planner_id),
                street_name=streets.get(r.street_id),
                district_name=districts.get(r.district_id),
                stage_name_en=spec.name_en,
                attachment_only=files_only,
            )
            intents.extend(reminders_for(facts, today, policy, calendar))
        return len(rows), intents


def count_open_stages(app: App) -> int:
    """The stages in progress (paused or not) or awaiting a decision, in active
    projects: what a sweep's report counts its checked stages among."""
    stage, project = StageRow.__table__.c, ProjectRow.__table__.c
    with app.reader() as uow:
        return int(
            uow.session.connection()
            .execute(
                select(func.count())
                .select_from(StageRow.__table__)
                .join(ProjectRow.__table__, stage.project_id == project.id)
                .where(
                    project.status == ProjectStatus.ACTIVE.value,
                    stage.state.in_([StageState.IN_PROGRESS.value, StageState.SUBMITTED.value]),
                )
            )
            .scalar_one()
        )


def _awaited_parties(uow: Any, rows: list[Any], template_for: Any) -> dict[int, tuple[str, ...]]:
    """stage id → the people of the parties its joint step (会签/或签) still awaits."""
    if not rows:
        return {}
    pp, a = ProjectPartyRow.__table__.c, ApprovalRow.__table__.c
    connection = uow.session.connection()
    parties: dict[int, dict[str, str]] = {}
    for project_id, role, person_id in connection.execute(
        select(pp.project_id, pp.role, pp.person_id).where(pp.project_id.in_({r.project_id for r in rows}))
    ):
        parties.setdefault(project_id, {})[role] = person_id
    rounds = {r.id: r.round for r in rows}
    signed: dict[int, set[str]] = {}
    for stage_id, round_, level in connection.execute(
        select(a.stage_id, a.round, a.level).where(a.stage_id.in_(rounds), a.decision == "approved")
    ):
        if rounds[stage_id] == round_:
            signed.setdefault(stage_id, set()).add(level)
    out = {}
    for r in rows:
        spec = template_for(r.template_pk, "").stage(r.key)
        done = signed.get(r.id, set())
        step = next(
            (s for s in spec.approval if isinstance(s, JointStep) and not step_complete(s, list(done))), None
        )
        if step is not None:
            mine = parties.get(r.project_id, {})
            out[r.id] = tuple(mine[p] for p in step.parties if p.value not in done and p.value in mine)
    return out


def sweep(app: App, *, dry_run: bool = False, progress: Progress | None = None) -> SweepResult:
    """One reminder sweep as of the app's clock (a sweep that writes is not dated in
    the future: see ``App.acting_time``)."""
    now = app.now() if dry_run else app.acting_time().at
    today = local_date(now)
    result = SweepResult(today=today, dry_run=dry_run)
    if not dry_run:
        # projects whose start day has come begin; a calendar file added since the
        # last sweep moves deadlines first
        result.projects_begun = begin_due_projects(app)
        try:
            result.deadlines_recomputed = sync_calendar(app, automatic=True).deadlines_changed
        except Conflict as refused:  # this machine's calendar is behind: said, and the sweep goes on
            result.calendar_refused = refused
    result.stages_considered, intents = decide(app, today)
    result.stages_open = count_open_stages(app)
    # during a delegation, what reaches the delegator (or their office) reaches the substitute too
    with app.reader() as uow:
        result.intents = reach_substitutes(uow, intents, now)
    total = len(result.intents)
    if dry_run:
        with app.reader() as uow:
            known = uow.outbox.known_keys(i.dedupe_key for i in result.intents)
        result.already_queued = len(known)
        result.queued = total - len(known)
        result.new_keys = {i.dedupe_key for i in result.intents} - known
        result.audit = verify_log(app, SWEEP_TAIL)
        return result
    not_before = app.quiet.next_allowed(now, app.calendar)
    for start in range(0, total, QUEUE_CHUNK):
        chunk = result.intents[start : start + QUEUE_CHUNK]
        with app.uow() as uow:
            added = uow.outbox.queue_new(chunk, now=now, not_before=not_before)
            uow.commit()
        result.new_keys |= added
        result.queued += len(added)
        result.already_queued += len(chunk) - len(added)
        if progress:
            progress(min(start + QUEUE_CHUNK, total), total)
    # the newest events still chain: a broken link alerts the districts, once
    result.audit = verify_log(app, SWEEP_TAIL)
    if result.audit.finding is not None:
        result.audit_alerts = raise_alert(app, result.audit)
    return result
