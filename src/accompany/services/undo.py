"""Undo (撤回) of a stage's last approval or return, by the person who gave it, within
the window (``ACCOMPANY_UNDO_WINDOW_MINUTES``): one transaction — the rules in
``models.undo``, the stage put back, a ``stage.decision_undone`` event appended.

Notifications: the ones the undone decision queued that have not gone out yet are
dropped (never sent); whoever the decision told hears that it was withdrawn (a
``decision-undone`` message). Their keys are set aside so that the same decision
given again later is announced again.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import select

from ..models.errors import AccompanyError
from ..models.events import EventKind
from ..models.reminders import JOINT_MODES
from ..models.undo import (
    DECISION_KINDS,
    DecisionHistory,
    LoggedEvent,
    check_undo,
    decision_history,
    may_undo,
    undo_decision,
)
from .commands import Command, Outcome
from .recording import record

if TYPE_CHECKING:
    from ..bootstrap import App
    from ..models.people import Person
    from ..models.project import Project
    from .unit_of_work import UnitOfWork


class UndoDecision(Command):
    project_id: int
    stage: str
    by: str
    reason: str


def undo_window(app: App) -> dt.timedelta:
    return dt.timedelta(minutes=app.settings.undo_window_minutes)


def stage_history(uow: UnitOfWork, project_id: int, stage_key: str, by: str | None = None) -> DecisionHistory:
    """The stage's last decision (``by``: that person's last one there, when they
    gave one) and what came after it, from the project's history events in the log
    (notifications sent are not part of it)."""
    rows = uow.events.rows_for_project(project_id)
    events = [
        LoggedEvent(
            id=row.id,
            kind=row.kind,
            stage=row.stage_key,
            actor=row.actor,
            at=_aware(row.occurred_at),
            recorded_at=_aware(row.recorded_at),
            data=row.data or {},
        )
        for row in rows
        if row.kind.startswith(("stage.", "project."))
    ]
    return decision_history(stage_key, events, by)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def undo_stage_decision(app: App, cmd: UndoDecision) -> Outcome:
    """Undo the stage's last approval or return (see ``models.undo``)."""
    time = app.acting_time()
    with app.uow() as uow:
        project, actor = uow.projects.get_with_actor(cmd.project_id, cmd.by)
        key = project.template.resolve_stage(cmd.stage).id
        history = stage_history(uow, cmd.project_id, key, actor.id)
        events = undo_decision(
            project,
            key,
            actor,
            history,
            reason=cmd.reason,
            now=time.at,
            real_now=time.real,
            window=undo_window(app),
            calendar=app.calendar,
        )
        assert history.decision is not None
        uow.projects.save(project)
        _withdraw_notifications(uow, project, key, history.decision)
        record(app, uow, project, events)
        uow.commit()
    return Outcome(project_id=cmd.project_id, events=events)


def undo_refusal(app: App, project_id: int, stage_key: str, person: Person) -> AccompanyError | None:
    """Why ``person`` may not undo the stage's last decision now (the rule's own
    refusal, for the undo page opened by its address), or None when they may."""
    with app.reader() as uow:
        project = uow.projects.get(project_id)
        key = project.template.resolve_stage(stage_key).id
        history = stage_history(uow, project_id, key, person.id)
        try:
            check_undo(project, key, person, history, real_now=app.real_now(), window=undo_window(app))
        except AccompanyError as exc:
            return exc
    return None


def _withdraw_notifications(uow: UnitOfWork, project: Project, key: str, decision: LoggedEvent) -> int:
    """The notifications the undone decision queued: those not sent yet are dropped;
    all are keyed apart (the same decision given again is announced again)."""
    from ..db.orm import NotificationRow
    from .outbox import DROPPED, PENDING, RETRY

    data = decision.data
    round_ = data.get("round")
    if decision.kind == EventKind.STAGE_RETURNED.value:
        wanted = {("stage-returned", f"r{round_}")}
    elif data.get("final"):
        wanted = {("stage-approved", f"r{round_}")}
    elif data.get("next_level") in JOINT_MODES:
        # a joint step the decision made the awaited one asked each party in person
        wanted = {("approval-requested", f"r{round_}:{role}") for role in data.get("awaited_parties") or {}}
    else:
        wanted = {("approval-requested", f"r{round_}:{data.get('next_level')}")}
    rows = uow.session.scalars(
        select(NotificationRow).where(
            NotificationRow.project_id == project.id,
            NotificationRow.stage_key == key,
            NotificationRow.kind.in_([kind for kind, _ in wanted]),
        )
    ).all()
    dropped = 0
    for row in rows:
        kind = row.kind
        occurrence = row.dedupe_key.split("|", 4)[4] if row.dedupe_key.count("|") >= 4 else ""
        if (kind, occurrence) not in wanted:
            continue
        row.dedupe_key = f"{row.dedupe_key}|undone-{decision.id}"
        if row.status in (PENDING, RETRY):
            row.status = DROPPED
            row.last_error = "dropped: decision undone"
            dropped += 1
    uow.session.flush()
    return dropped


def undoable_stages(app: App, project_id: int, person: Person | None) -> set[str]:
    """The stages of a project whose last decision ``person`` may undo now (the web
    page shows the undo button for them)."""
    if person is None:
        return set()
    with app.reader() as uow:
        try:
            project = uow.projects.get(project_id)
        except AccompanyError:
            return set()
        return undoable_in(app, uow, project, person)


def undoable_in(app: App, uow: UnitOfWork, project: Project, person: Person) -> set[str]:
    """As :func:`undoable_stages`, on a project already read. Only approvers and the
    parties signing joint steps (会签/或签) decide, so only their pages read the log
    for it."""
    return undoable_until(app, uow, project, person)[0]


def undoable_until(
    app: App, uow: UnitOfWork, project: Project, person: Person
) -> tuple[set[str], dt.datetime | None]:
    """The stages whose last decision ``person`` may undo now, and the last moment
    the first of those undos is still offered (the window closes on the real clock
    alone, with nothing recorded: a page offering it is good until then)."""
    from ..models.people import PARTY_ROLES, Role

    if project.id is None or person.role not in (Role.STREET_OFFICE, Role.DISTRICT, *PARTY_ROLES):
        return set(), None
    real_now, window = app.real_now(), undo_window(app)
    # most pages: no decision of theirs inside the window — one indexed probe, no log read
    if not uow.events.has_recent(project.id, person.id, DECISION_KINDS, real_now - window):
        return set(), None
    rows = [r for r in uow.events.rows_for_project(project.id) if r.kind.startswith(("stage.", "project."))]
    events = [
        LoggedEvent(
            r.id, r.kind, r.stage_key, r.actor, _aware(r.occurred_at), _aware(r.recorded_at), r.data or {}
        )
        for r in rows
    ]
    found: set[str] = set()
    until: dt.datetime | None = None
    for key in {e.stage for e in events if e.actor == person.id and e.stage}:
        if key not in project.stages:
            continue
        history = decision_history(key, events, person.id)
        if may_undo(project, key, person, history, real_now=real_now, window=window):
            found.add(key)
            if history.decision is not None:
                closes = history.decision.recorded_at + window
                until = closes if until is None else min(until, closes)
    return found, until
