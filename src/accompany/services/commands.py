"""The service layer: every command a person (or a flow) can give.

Each function runs one transaction: load the aggregate, let the domain decide,
save, append the events. Commands are pydantic models so that the Prefect flows can
take them as parameters unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..models.errors import InvalidInput
from ..models.events import Event, EventKind
from ..models.evidence import parse_evidence
from ..models.people import Directory
from ..models.project import Attachment, Project
from ..models.reminders import ProjectFacts, StageInfo, attachment_only, notifications_for_events
from ..models.rules import Action
from ..models.template import coerce_parameter

if TYPE_CHECKING:
    from ..bootstrap import App
    from .unit_of_work import UnitOfWork


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StartProject(Command):
    template: str = "accompany-service"
    template_version: int | None = None
    name: str
    district: str
    street: str
    community: str
    planner: str
    start: dt.date
    by: str
    stage_deadlines: dict[str, dt.date] = Field(default_factory=dict)
    params: dict[str, str] = Field(default_factory=dict)


class AttachmentInput(Command):
    path: str
    key: str | None = None
    # the name people see; default: the file's own name (an upload arrives in a
    # temporary file and gives its original name here)
    filename: str | None = None


class CompleteStage(Command):
    project_id: int
    stage: str
    by: str
    evidence: dict[str, str] = Field(default_factory=dict)
    attachments: list[AttachmentInput] = Field(default_factory=list)
    note: str | None = None


class DecideApproval(Command):
    project_id: int
    stage: str
    by: str
    decision: Literal["approve", "return"]
    comment: str | None = None


class PauseClock(Command):
    project_id: int
    stage: str
    by: str
    reason: str


class ResumeClock(Command):
    project_id: int
    stage: str
    by: str


class RequestExtension(Command):
    project_id: int
    stage: str
    by: str
    working_days: int
    reason: str


class DecideExtension(Command):
    project_id: int
    stage: str
    by: str
    grant: bool
    working_days: int | None = None
    comment: str | None = None


class Outcome(BaseModel):
    """What a command did: the project and the events it recorded."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    project_id: int | None
    events: list[Event]

    def kinds(self) -> list[str]:
        return [e.kind.value for e in self.events]


def record(app: App, uow: UnitOfWork, project: Project | None, events: Sequence[Event]) -> None:
    """Append the events and queue the notifications they cause, in the command's
    transaction: no notification for a rolled-back change, none lost for a
    committed one."""
    uow.events.append(project.id if project else None, events)
    if project is None or not events:
        return
    intents = notifications_for_events(project_facts(project, uow, events), events)
    if intents:
        now = app.now()
        uow.outbox.queue(intents, now=now, not_before=app.quiet.next_allowed(now, app.calendar))


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
        people = dict(
            session.execute(select(PersonRow.id, PersonRow.name).where(PersonRow.id.in_(wanted))).all()
        )
        street_name = session.scalar(select(StreetRow.name).where(StreetRow.id == project.street))
        district_name = session.scalar(select(DistrictRow.name).where(DistrictRow.id == project.district))
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


# -- people ---------------------------------------------------------------------------


def load_directory(
    app: App, directory: Directory, *, deactivate_missing: bool = False, by: str = "operator"
) -> dict[str, int]:
    """Insert or update the organisation and the people; returns counts.

    An active person the file leaves out is refused (a truncated file must not lock
    people out) unless ``deactivate_missing``: then they are deactivated, and so is
    anyone the file marks ``active: false`` — their sessions and API tokens end at
    once. The audit log records who loaded the file and what changed."""
    from ..models.errors import Conflict
    from .accounts import end_access

    now = app.now()
    counts = {"added": 0, "updated": 0, "unchanged": 0, "deactivated": 0}
    listed = {p.id for p in directory.people}
    with app.uow() as uow:
        missing = sorted(uow.people.active_ids() - listed)
        if missing and not deactivate_missing:
            names = ", ".join(uow.people.get(pid).label for pid in missing[:10])
            raise Conflict(
                "the file leaves out {count} active person(s): {names}; add them back, or load with "
                "--deactivate-missing to deactivate them (their sign-ins end)",
                count=len(missing),
                names=names + (" …" if len(missing) > 10 else ""),
            )
        for district in directory.districts:
            uow.people.upsert_district(district)
        uow.session.flush()
        added: list[str] = []
        updated: dict[str, dict[str, list[Any]]] = {}
        ended: list[str] = []
        for person in directory.people:
            status, changes = uow.people.upsert_with_changes(person)
            counts[status] += 1
            if status == "added":
                added.append(person.id)
            elif status == "updated":
                updated[person.id] = changes
                if changes.get("active") == [True, False]:
                    ended.append(person.id)
        for person_id in missing:
            uow.people.set_active(person_id, False)
            counts["deactivated"] += 1
            ended.append(person_id)
        uow.session.flush()
        for person_id in ended:
            end_access(uow, person_id, now)
        record(
            app,
            uow,
            None,
            [
                Event(
                    EventKind.PEOPLE_LOADED,
                    now,
                    by,
                    data={
                        **counts,
                        "people": len(directory.people),
                        "added_ids": added,
                        "changed": updated,
                        "deactivated_ids": missing,
                    },
                )
            ],
        )
        uow.commit()
    return counts


def set_person_active(app: App, person_id: str, active: bool, *, by: str) -> bool:
    """Deactivate (their sessions and API tokens end at once) or reactivate a person;
    False when they already were so."""
    from .accounts import end_access

    now = app.now()
    with app.uow() as uow:
        changed = uow.people.set_active(person_id, active)
        if changed:
            uow.session.flush()
            sessions, tokens = (0, 0) if active else end_access(uow, person_id, now)
            kind = EventKind.PERSON_ACTIVATED if active else EventKind.PERSON_DEACTIVATED
            data = (
                {"person": person_id}
                if active
                else {"person": person_id, "sessions_ended": sessions, "tokens_revoked": tokens}
            )
            record(app, uow, None, [Event(kind, now, by, data=data)])
        uow.commit()
    return changed


# -- coordinator --------------------------------------------------------------------


def start_project(app: App, cmd: StartProject) -> Outcome:
    now = app.now()
    source = app.catalog.get(cmd.template, cmd.template_version)
    defaults = source.template.parameters
    params = {}
    for name, raw in cmd.params.items():
        if name not in defaults:
            raise InvalidInput(
                f"unknown template parameter {name!r} (parameters: {', '.join(sorted(defaults)) or 'none'})"
            )
        params[name] = coerce_parameter(name, defaults[name], raw)
    with app.uow() as uow:
        coordinator = uow.people.get(cmd.by)
        planner = uow.people.get(cmd.planner)
        district = uow.people.resolve_district(cmd.district)
        street = uow.people.resolve_street(district, cmd.street)
        template_row = uow.templates.snapshot(source.body, now)
        template = uow.templates.parsed(template_row, params)
        project, events = Project.start(
            template=template,
            params=params,
            name=cmd.name,
            district=district.id,
            street=street.id,
            community=cmd.community,
            planner=planner,
            coordinator=coordinator,
            start_date=cmd.start,
            fixed_dues=cmd.stage_deadlines,
            now=now,
            calendar=app.calendar,
        )
        project_id = uow.projects.add(project, template_row)
        record(app, uow, project, events)
        uow.commit()
    return Outcome(project_id=project_id, events=events)


def pause_clock(app: App, cmd: PauseClock) -> Outcome:
    return _on_project(
        app,
        cmd.project_id,
        cmd.by,
        lambda project, actor, now: project.pause_clock(cmd.stage, actor, reason=cmd.reason, now=now),
    )


def resume_clock(app: App, cmd: ResumeClock) -> Outcome:
    return _on_project(
        app,
        cmd.project_id,
        cmd.by,
        lambda project, actor, now: project.resume_clock(cmd.stage, actor, now=now, calendar=app.calendar),
    )


# -- planner --------------------------------------------------------------------------


def complete_stage(app: App, cmd: CompleteStage) -> Outcome:
    now = app.now()
    # Files are checked before anything else and copied before the transaction, so
    # the database never refers to a file that is not there.
    for item in cmd.attachments:
        app.attachments.check(
            Path(item.path), item.filename, field=f"attach.{item.key}" if item.key else "attach"
        )
    with app.uow() as uow:
        project, actor = uow.projects.get_with_actor(cmd.project_id, cmd.by)
        # who and what state first, so a refusal names the real problem
        project.ensure_allowed(cmd.stage, actor, Action.COMPLETE)
        evidence = parse_evidence(project.template.stage(cmd.stage), cmd.evidence)
        stored = [
            (item.key, app.attachments.store(Path(item.path), item.filename)) for item in cmd.attachments
        ]
        attachments = [
            Attachment(key, f.filename, f.sha256, f.size, f.stored_as, actor.id, now) for key, f in stored
        ]
        events = project.complete_stage(
            cmd.stage,
            actor,
            evidence=evidence,
            attachments=attachments,
            note=cmd.note,
            now=now,
            calendar=app.calendar,
        )
        uow.projects.save(project)
        record(app, uow, project, events)
        uow.commit()
    return Outcome(project_id=cmd.project_id, events=events)


def request_extension(app: App, cmd: RequestExtension) -> Outcome:
    return _on_project(
        app,
        cmd.project_id,
        cmd.by,
        lambda project, actor, now: project.request_extension(
            cmd.stage, actor, working_days=cmd.working_days, reason=cmd.reason, now=now
        ),
    )


# -- street office / district ---------------------------------------------------------


def decide_approval(app: App, cmd: DecideApproval) -> Outcome:
    if cmd.decision == "approve":
        return _on_project(
            app,
            cmd.project_id,
            cmd.by,
            lambda project, actor, now: project.approve_stage(
                cmd.stage, actor, comment=cmd.comment, now=now, calendar=app.calendar
            ),
        )
    return _on_project(
        app,
        cmd.project_id,
        cmd.by,
        lambda project, actor, now: project.return_stage(cmd.stage, actor, reason=cmd.comment or "", now=now),
    )


def decide_extension(app: App, cmd: DecideExtension) -> Outcome:
    return _on_project(
        app,
        cmd.project_id,
        cmd.by,
        lambda project, actor, now: project.decide_extension(
            cmd.stage,
            actor,
            grant=cmd.grant,
            working_days=cmd.working_days,
            comment=cmd.comment,
            now=now,
            calendar=app.calendar,
        ),
    )


def _on_project(app: App, project_id: int, actor_id: str, act) -> Outcome:  # type: ignore[no-untyped-def]
    """Load the project and the actor, let the domain act, save, record — one
    transaction."""
    now = app.now()
    with app.uow() as uow:
        project, actor = uow.projects.get_with_actor(project_id, actor_id)
        events = act(project, actor, now)
        uow.projects.save(project)
        record(app, uow, project, events)
        uow.commit()
    return Outcome(project_id=project_id, events=events)
