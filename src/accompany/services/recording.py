"""Recording a command's events: the notifications they cause queued in the outbox
and the events appended to the log, inside the command's transaction — and the facts
about the project those notifications are written from."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..models.events import Event
from ..models.project import Project
from ..models.reminders import ProjectFacts, StageInfo, attachment_only, notifications_for_events
from .delegation import reach_substitutes

if TYPE_CHECKING:
    from ..bootstrap import App
    from .unit_of_work import UnitOfWork


def record(app: App, uow: UnitOfWork, project: Project | None, events: Sequence[Event]) -> None:
    """Append the events and queue the notifications they cause, in the command's
    transaction: no notification for a rolled-back change, none lost for a
    committed one."""
    if project is not None and events:
        intents = notifications_for_events(project_facts(project, uow, events), events)
        if intents:
            now = app.now()
            # whoever decides in a delegator's place hears what the delegator would
            intents = reach_substitutes(uow, intents, now)
            uow.outbox.queue(intents, now=now, not_before=app.quiet.next_allowed(now, app.calendar))
    # the events last: appending takes the event chain's head (on PostgreSQL a lock
    # other appenders wait for) and holds it until the commit right after
    uow.events.append(project.id if project else None, events)


def project_facts(
    project: Project, uow: UnitOfWork | None = None, events: Sequence[Event] = ()
) -> ProjectFacts:
    """What the notifications of a change say about the project: ids (audiences,
    keys, scripts) and the names people read — the planner, the coordinator and
    whoever acted, the street and the district, each stage with its deadline as the
    change left it."""
    assert project.id is not None
    people: dict[str, str] = {}
    street_name = district_name = None
    if uow is not None:
        from sqlalchemy import select

        from ..db.orm import DistrictRow, PersonRow, StreetRow

        session = uow.session
        wanted = {project.planner_id, project.coordinator_id, *(e.actor for e in events)}
        # a substitute's decision names the delegator
        wanted |= {str(e.data["on_behalf_of"]) for e in events if e.data.get("on_behalf_of")}
        # a handover names both planners
        wanted |= {str(e.data[k]) for e in events for k in ("from", "to") if e.data.get(k)}
        # the names read with the project (planner, coordinator, actor) need no query
        known = uow.projects.names
        people = {p: name for p in wanted if (name := known.get(p)) is not None}
        missing = {p for p in wanted if p not in known}
        if missing:
            people.update(
                session.execute(select(PersonRow.id, PersonRow.name).where(PersonRow.id.in_(missing))).all()
            )
        # the street's and district's names came with the project
        street_name = project.street_name or session.scalar(
            select(StreetRow.name).where(StreetRow.id == project.street)
        )
        district_name = project.district_name or session.scalar(
            select(DistrictRow.name).where(DistrictRow.id == project.district)
        )
    stages = []
    for spec in project.template.stages:
        stage = project.stages.get(spec.id)
        deadline = stage.deadline if stage is not None else None
        stages.append(
            StageInfo(
                id=spec.id,
                name=spec.name,
                name_en=spec.name_en,
                due=deadline.due if deadline else None,
                provisional=bool(deadline and deadline.provisional),
                attachment_only=attachment_only(spec),
            )
        )
    return ProjectFacts(
        project_id=project.id,
        name=project.name,
        district=project.district,
        street=project.street,
        planner=project.planner_id,
        coordinator=project.coordinator_id,
        stage_names={spec.id: spec.name for spec in project.template.stages},
        planner_name=people.get(project.planner_id),
        coordinator_name=people.get(project.coordinator_id),
        street_name=street_name,
        district_name=district_name,
        people_names=people,
        stages=tuple(stages),
    )
