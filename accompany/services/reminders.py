"""The reminder sweep: find the stages that call for a reminder or escalation today
and queue each notification exactly once.

The decision reads flat rows (no aggregates) in two queries and decides in memory
with O(1) working-day arithmetic; queueing is batched, each batch one transaction
with ``ON CONFLICT DO NOTHING`` on the unique key — a crash mid-sweep loses nothing
(re-run it) and two sweeps at once queue nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select

from ..db.orm import ApprovalRow, ProjectRow, StageRow, TemplateRow
from ..models.deadlines import local_date
from ..models.reminders import Intent, StageFacts, reminders_for
from ..models.states import ProjectStatus, StageState
from ..models.template import ProcessTemplate
from .calendar import sync_calendar

if TYPE_CHECKING:
    from ..bootstrap import App

QUEUE_CHUNK = 2000
Progress = Callable[[int, int], None]


@dataclass
class SweepResult:
    today: dt.date
    stages_considered: int = 0
    intents: list[Intent] = field(default_factory=list)
    queued: int = 0
    already_queued: int = 0
    deadlines_recomputed: int = 0
    dry_run: bool = False

    def by_kind(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for intent in self.intents:
            counts[intent.kind.value] = counts.get(intent.kind.value, 0) + 1
        return counts


def decide(app: App, today: dt.date) -> tuple[int, list[Intent]]:
    """(stages considered, reminder intents) for ``today`` — the decision step the
    benchmark times."""
    calendar = app.calendar
    with app.reader() as uow:
        session = uow.session
        templates: dict[tuple[int, str], ProcessTemplate] = {}
        template_rows = {row.pk: row for row in session.scalars(select(TemplateRow))}

        def template_for(pk: int, params: dict[str, Any]) -> ProcessTemplate:
            key = (pk, repr(sorted(params.items())))
            if key not in templates:
                templates[key] = uow.templates.parsed(template_rows[pk], params)
            return templates[key]

        longest_notice = max(
            [max((*t.reminders.before_due, 0)) for t in (template_for(pk, {}) for pk in template_rows)] + [0]
        )
        horizon = calendar.add_working_days(today, longest_notice).value
        rows = session.execute(
            select(
                StageRow.id,
                StageRow.project_id,
                StageRow.key,
                StageRow.state,
                StageRow.due_date,
                StageRow.due_provisional,
                StageRow.submitted_at,
                StageRow.round,
                ProjectRow.name,
                ProjectRow.district_id,
                ProjectRow.street_id,
                ProjectRow.planner_id,
                ProjectRow.template_pk,
                ProjectRow.params,
            )
            .join(ProjectRow, StageRow.project_id == ProjectRow.id)
            .where(
                ProjectRow.status == ProjectStatus.ACTIVE.value,
                or_(
                    and_(
                        StageRow.state == StageState.IN_PROGRESS.value,
                        StageRow.paused_since.is_(None),
                        StageRow.due_date.is_not(None),
                        StageRow.due_date <= horizon,
                    ),
                    StageRow.state == StageState.SUBMITTED.value,
                ),
            )
        ).all()
        waiting_ids = [r.id for r in rows if r.state == StageState.SUBMITTED.value]
        given: dict[tuple[int, int], set[str]] = {}
        for start in range(0, len(waiting_ids), 900):
            for stage_id, round_, level in session.execute(
                select(ApprovalRow.stage_id, ApprovalRow.round, ApprovalRow.level).where(
                    ApprovalRow.stage_id.in_(waiting_ids[start : start + 900]),
                    ApprovalRow.decision == "approved",
                )
            ):
                given.setdefault((stage_id, round_), set()).add(level)

        intents: list[Intent] = []
        for r in rows:
            template = template_for(r.template_pk, r.params or {})
            spec = template.stage(r.key)
            waiting_level = None
            if r.state == StageState.SUBMITTED.value:
                done = given.get((r.id, r.round), set())
                waiting_level = next((lvl.value for lvl in spec.approval if lvl.value not in done), None)
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
                waiting_level=waiting_level,
            )
            intents.extend(reminders_for(facts, today, template.reminder_policy(r.key), calendar))
        return len(rows), intents


def sweep(app: App, *, dry_run: bool = False, progress: Progress | None = None) -> SweepResult:
    """One reminder sweep as of the app's clock."""
    now = app.now()
    today = local_date(now)
    result = SweepResult(today=today, dry_run=dry_run)
    if not dry_run:
        # a calendar file added since the last sweep moves deadlines first
        result.deadlines_recomputed = sync_calendar(app).deadlines_changed
    result.stages_considered, result.intents = decide(app, today)
    total = len(result.intents)
    if dry_run:
        with app.reader() as uow:
            known = uow.outbox.known_keys(i.dedupe_key for i in result.intents)
        result.already_queued = len(known)
        result.queued = total - len(known)
        return result
    not_before = app.quiet.next_allowed(now, app.calendar)
    for start in range(0, total, QUEUE_CHUNK):
        chunk = result.intents[start : start + QUEUE_CHUNK]
        with app.uow() as uow:
            added = uow.outbox.queue(chunk, now=now, not_before=not_before)
            uow.commit()
        result.queued += added
        result.already_queued += len(chunk) - added
        if progress:
            progress(min(start + QUEUE_CHUNK, total), total)
    return result
