"""A failed consent loops back for a new round (``models.loop``): one transaction —
the rules and the stages reset in the domain, the ballots of the old round archived
(kept, no longer counted), the attachments of the old round set aside, a
``stage.looped`` event appended; the planner, the street office and the coordinator
are told."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select, update

from ..db.orm import BallotRow
from ..models.consent import Tally
from ..models.deadlines import local_date
from ..models.errors import AccompanyError
from ..models.loop import check_loop, loop_back, loop_stages, may_loop
from ..models.states import StageState
from .commands import Command, Outcome
from .consent import stage_tally
from .recording import record

if TYPE_CHECKING:
    from ..bootstrap import App
    from ..models.people import Person
    from ..models.project import Project
    from .unit_of_work import UnitOfWork


class LoopStage(Command):
    project_id: int
    stage: str
    by: str
    reason: str


def _tally(uow: UnitOfWork, project: Project, key: str) -> Tally | None:
    spec = project.template.stage(key)
    if spec.consent is None:
        return None
    found = stage_tally(uow, project.id, spec)  # type: ignore[arg-type]
    return found[0] if found is not None else None


def archive_ballots(uow: UnitOfWork, project_id: int, stages: list[str]) -> int:
    """Archive the running round's ballots of ``stages`` under the next round number
    (kept, no longer counted); returns how many."""
    archived = 0
    for key in stages:
        last = uow.session.scalar(
            select(func.max(BallotRow.archived_round)).where(
                BallotRow.project_id == project_id, BallotRow.stage_key == key
            )
        )
        result = uow.session.execute(
            update(BallotRow)
            .where(
                BallotRow.project_id == project_id,
                BallotRow.stage_key == key,
                BallotRow.archived_round == 0,
            )
            .values(archived_round=(last or 0) + 1)
        )
        archived += result.rowcount or 0
    return archived


def _read_history(uow: UnitOfWork, project: Project, key: str) -> None:
    """The moment of each stage's last logged event, for the time rule of a loop
    (``models.loop.loop_not_before_history``)."""
    spec = project.template.stage(key)
    if spec.on_failure is None or project.id is None:
        return
    for stage_key in loop_stages(project.template, key, spec.on_failure.loop_to):
        known, last = uow.projects.last_event_at(project.id, stage_key)
        project.stages[stage_key].last_event_at = last if known else uow.events.last_at(project.id, stage_key)


def loop_stage(app: App, cmd: LoopStage) -> Outcome:
    """Declare the consent of ``cmd.stage`` failed and loop the project back to the
    stage its template names (see ``models.loop``)."""
    time = app.acting_time()
    with app.uow() as uow:
        project, actor = uow.projects.get_with_actor(cmd.project_id, cmd.by)
        key = project.template.resolve_stage(cmd.stage).id
        result = _tally(uow, project, key)
        _read_history(uow, project, key)
        plan, events = loop_back(
            project, key, actor, reason=cmd.reason, result=result, now=time.at, calendar=app.calendar
        )
        archived = archive_ballots(
            uow, cmd.project_id, [s for s in plan.stages if project.template.stage(s).consent]
        )
        events[0].data["ballots_archived"] = archived
        uow.projects.save(project)
        record(app, uow, project, events)
        uow.commit()
    return Outcome(project_id=cmd.project_id, events=events)


def loop_refusal(app: App, project_id: int, stage: str, person: Person) -> AccompanyError | None:
    """Why ``person`` may not loop ``stage`` back now (every rule of a loop, in its
    order), or None: the loop page asks before showing its form."""
    try:
        with app.reader() as uow:
            project = uow.projects.get(project_id)
            key = project.template.resolve_stage(stage).id
            check_loop(project, key, person, _tally(uow, project, key), local_date(app.now()))
    except AccompanyError as error:
        return error
    return None


def loopable(app: App, uow: UnitOfWork, project: Project, person: Person | None) -> str | None:
    """The consent stage of ``project`` that ``person`` may loop back now (the web
    page shows the box for it), or None."""
    if person is None or project.id is None:
        return None
    today = local_date(app.now())
    for spec in project.template.stages:
        if (
            spec.on_failure is None
            or spec.consent is None
            or project.stages[spec.id].state is not StageState.IN_PROGRESS
        ):
            continue  # nothing to loop: no ballot read
        try:
            result = _tally(uow, project, spec.id)
            if may_loop(project, spec.id, person, result, today):
                return spec.id
        except AccompanyError:
            continue
    return None


__all__ = ["LoopStage", "archive_ballots", "check_loop", "loop_refusal", "loop_stage", "loopable"]
