"""The service layer: every command a person (or a flow) can give.

Each function runs one transaction: load the aggregate, let the domain decide,
save, append the events. Commands are pydantic models so that the Prefect flows can
take them as parameters unchanged.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..models.errors import AccompanyError, Conflict, InvalidInput, Localized, Refusals
from ..models.events import Event
from ..models.evidence import parse_evidence
from ..models.parties import resolve_parties
from ..models.project import Project
from ..models.rules import ActingTime, Action, not_before_project_history
from ..models.stage import Attachment
from ..models.template import StageSpec, coerce_parameter
from .delegation import acting_person, mark_on_behalf

# the directory's commands, also known as commands.* (the tests and the benchmarks)
from .directory import load_directory as load_directory
from .directory import set_person_active as set_person_active
from .recording import record

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
    # the same name, street and start as an existing project is refused unless asked
    allow_duplicate: bool = False
    # the project's parties: party role → person id or name (``--party design=ID``)
    parties: dict[str, str] = Field(default_factory=dict)


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


class SuspendProject(Command):
    project_id: int
    by: str
    reason: str


class ResumeProject(Command):
    project_id: int
    by: str


class CancelProject(Command):
    project_id: int
    by: str
    reason: str


class HandOverProject(Command):
    project_id: int
    by: str
    planner: str
    note: str
    # the planner the form showed holding the project (a stale form is refused)
    from_planner: str | None = None


class EditProject(Command):
    project_id: int
    by: str
    name: str | None = None
    community: str | None = None
    # each field as the person saw it (a form's): changed since by someone else, refused
    seen: dict[str, str] | None = None


class Outcome(BaseModel):
    """What a command did: the project and the events it recorded."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    project_id: int | None
    events: list[Event]

    def kinds(self) -> list[str]:
        return [e.kind.value for e in self.events]


# -- coordinator --------------------------------------------------------------------


def start_project(app: App, cmd: StartProject) -> Outcome:
    now = app.acting_time().at
    with app.uow() as uow:
        project, events, template_row = _starting(app, uow, cmd, now)
        # a twin is looked for once the project itself is valid: a wrong planner or
        # date is named first
        if not cmd.allow_duplicate:
            _refuse_twin(uow, cmd, project)
        project_id = uow.projects.add(project, template_row)
        record(app, uow, project, events)
        uow.commit()
    return Outcome(project_id=project_id, events=events)


def start_refusal(app: App, cmd: StartProject) -> AccompanyError | None:
    """What starting the project would refuse, found without starting it (the
    transaction is rolled back; a twin is not looked for). A form with problems of
    its own asks this, so that one answer tells every problem."""
    try:
        with app.uow() as uow:
            _starting(app, uow, cmd, app.acting_time().at)
    except AccompanyError as error:
        return error
    return None


def _starting(
    app: App, uow: UnitOfWork, cmd: StartProject, now: dt.datetime
) -> tuple[Project, list[Event], Any]:
    """The project as the command starts it, and the template's stored snapshot
    (stored in ``uow`` if new; the caller commits or not)."""
    source = app.catalog.get(cmd.template, cmd.template_version)
    defaults = source.template.parameters
    params = {}
    refusals = Refusals()  # every parameter's problem told at once
    for name, raw in cmd.params.items():
        if name not in defaults:
            refusals.errors.append(
                InvalidInput(
                    "unknown template parameter '{name}' (parameters: {names})",
                    field=f"param.{name}",
                    name=name[:60],
                    names=", ".join(sorted(defaults)) or "—",
                )
            )
            continue
        params[name] = refusals.check(coerce_parameter, name, defaults[name], raw)
    refusals.raise_any()
    coordinator = uow.people.resolve(cmd.by, field="by")
    planner = uow.people.resolve(cmd.planner, field="planner")
    district = uow.people.resolve_district(cmd.district)
    street = uow.people.resolve_street(district, cmd.street, field="street")
    template_row = uow.templates.snapshot(source.body, now)
    template = uow.templates.parsed(template_row, params)
    from .parties import named_parties, street_parties

    parties = resolve_parties(
        template,
        named_parties(uow, cmd.parties),
        street_parties(uow, district.id) if template.party_roles() else [],
        district=district.id,
        street=street.id,
        street_name=Localized(street.name),
    )
    project, events = Project.start(
        template=template,
        params=params,
        name=cmd.name,
        district=district.id,
        street=street.id,
        street_name=street.name,
        district_name=district.name,
        community=cmd.community,
        planner=planner,
        coordinator=coordinator,
        start_date=cmd.start,
        fixed_dues=cmd.stage_deadlines,
        now=now,
        calendar=app.calendar,
        parties=parties,
    )
    return project, events, template_row


def _refuse_twin(uow: UnitOfWork, cmd: StartProject, project: Project) -> None:
    twin = uow.projects.find_duplicate(cmd.name.strip(), project.street, cmd.start)
    if twin is not None:
        raise Conflict(
            "project #{id} “{name}” in {street} already starts on {start}; start another one like it "
            "with --allow-duplicate",
            field="name",
            id=twin,
            name=cmd.name.strip(),
            street=Localized(project.street_name or project.street),
            start=cmd.start.isoformat(),
        )


def begin_due_projects(app: App) -> int:
    """Projects started for a future day begin when it comes (the daily sweep runs
    this): their first stages start, dated on the start day. Returns how many."""
    from sqlalchemy import exists, select

    from ..db.orm import ProjectRow, StageRow
    from ..models.deadlines import local_date
    from ..models.states import ProjectStatus, StageState

    today = local_date(app.now())
    with app.reader() as uow:
        waiting = list(
            uow.session.scalars(
                select(ProjectRow.id).where(
                    ProjectRow.status == ProjectStatus.ACTIVE.value,
                    ProjectRow.start_date <= today,
                    ~exists().where(
                        StageRow.project_id == ProjectRow.id, StageRow.state != StageState.PENDING.value
                    ),
                )
            )
        )
    for project_id in waiting:
        now = app.now()
        with app.uow() as uow:
            project = uow.projects.get(project_id)
            events = project.begin(now, app.calendar)
            uow.projects.save(project)
            record(app, uow, project, events)
            uow.commit()
    return len(waiting)


def pause_clock(app: App, cmd: PauseClock) -> Outcome:
    return _on_stage(
        app,
        cmd,
        Action.PAUSE,
        lambda project, actor, key, now: project.pause_clock(key, actor, reason=cmd.reason, now=now),
    )


def resume_clock(app: App, cmd: ResumeClock) -> Outcome:
    return _on_stage(
        app,
        cmd,
        Action.RESUME,
        lambda project, actor, key, now: project.resume_clock(key, actor, now=now, calendar=app.calendar),
    )


# -- planner --------------------------------------------------------------------------


def complete_stage(app: App, cmd: CompleteStage) -> Outcome:
    time = app.acting_time()
    # Files are checked before anything else and copied before the transaction, so
    # the database never refers to a file that is not there.
    for item in cmd.attachments:
        app.attachments.check(
            Path(item.path), item.filename, field=f"attach.{item.key}" if item.key else "attach"
        )
    with app.uow() as uow:
        project, events = _completion(app, uow, cmd, time, store=True)
        uow.projects.save(project)
        record(app, uow, project, events)
        uow.commit()
    return Outcome(project_id=cmd.project_id, events=events)


def completion_refusal(app: App, cmd: CompleteStage) -> AccompanyError | None:
    """What marking the stage done would refuse, found without doing it: nothing is
    written and no file is read (only the evidence keys the files are given for).
    A form with problems of its own asks this, so that one answer tells the person
    every problem, the form's and the rule's, instead of one round each."""
    try:
        with app.reader() as uow:
            _completion(app, uow, cmd, app.acting_time(), store=False)
    except AccompanyError as error:
        return error
    return None


def _completion(
    app: App, uow: UnitOfWork, cmd: CompleteStage, time: ActingTime, *, store: bool
) -> tuple[Project, list[Event]]:
    """The stage marked done on the project as read in ``uow`` (the caller saves it):
    with ``store``, the files are stored; without, they stand for themselves by key."""
    now = time.at
    project, actor = uow.projects.get_with_actor(cmd.project_id, cmd.by, at=now)
    spec = project.template.resolve_stage(cmd.stage)
    # who and what state first, so a refusal names the real problem
    project.ensure_allowed(spec.id, actor, Action.COMPLETE)
    _check_time(uow, project, spec.id, Action.COMPLETE, time)
    evidence = parse_evidence(spec, cmd.evidence)
    consent = None
    if spec.consent is not None:
        from .consent import stage_tally

        found = stage_tally(uow, cmd.project_id, spec)
        consent = found[0] if found is not None else None
    survey = None
    if spec.satisfaction is not None:
        from .satisfaction import stage_survey

        survey = stage_survey(uow, cmd.project_id, spec)
    if spec.comments is not None:
        from .comments import stage_evidence

        evidence = stage_evidence(uow, cmd.project_id, spec, evidence)
    if any(s.needs is not None for s in project.template.stages):
        from ..models.needs import needs_evidence
        from .needs_tally import items_evidence_tally

        counted = items_evidence_tally(uow, project, spec)
        if counted is not None:  # the list of needs as the residents' answers show it
            evidence = {
                **evidence,
                **needs_evidence(evidence, counted[1], key=counted[0], labels=spec.evidence_labels()),
            }
    keys = [_file_key(spec, item.key) for item in cmd.attachments]
    if store:
        stored = [
            (key, app.attachments.store(Path(item.path), item.filename))
            for key, item in zip(keys, cmd.attachments, strict=True)
        ]
        attachments = [
            Attachment(key, f.filename, f.sha256, f.size, f.stored_as, actor.id, now) for key, f in stored
        ]
    else:
        attachments = [
            Attachment(key, item.filename or Path(item.path).name, "", 0, "", actor.id, now)
            for key, item in zip(keys, cmd.attachments, strict=True)
        ]
    events = project.complete_stage(
        spec.id,
        actor,
        evidence=evidence,
        attachments=attachments,
        note=cmd.note,
        now=now,
        calendar=app.calendar,
        consent=consent,
        survey=survey,
    )
    return project, events


def _check_time(uow: UnitOfWork, project: Project, key: str, action: Action, time: ActingTime) -> None:
    """The moment of an allowed action on a stage, against the stage's history as
    the event log holds it (the domain's time rules)."""
    assert project.id is not None
    known, last = uow.projects.last_event_at(project.id, key)
    project.stages[key].last_event_at = last if known else uow.events.last_at(project.id, key)
    project.check_time(key, action, time)


def _file_key(spec: StageSpec, key: str | None) -> str | None:
    """A file's evidence key as typed: the key or the label (问题地图=map.pdf)."""
    if key is None:
        return None
    found = spec.find_field(key)
    return found.key if found is not None else key


def request_extension(app: App, cmd: RequestExtension) -> Outcome:
    return _on_stage(
        app,
        cmd,
        Action.REQUEST_EXTENSION,
        lambda project, actor, key, now: project.request_extension(
            key, actor, working_days=cmd.working_days, reason=cmd.reason, now=now
        ),
    )


# -- street office / district ---------------------------------------------------------


def decide_approval(app: App, cmd: DecideApproval) -> Outcome:
    if cmd.decision == "approve":
        return _on_stage(
            app,
            cmd,
            Action.APPROVE,
            lambda project, actor, key, now: project.approve_stage(
                key, actor, comment=cmd.comment, now=now, calendar=app.calendar
            ),
        )
    return _on_stage(
        app,
        cmd,
        Action.RETURN,
        lambda project, actor, key, now: project.return_stage(key, actor, reason=cmd.comment or "", now=now),
    )


def decide_extension(app: App, cmd: DecideExtension) -> Outcome:
    return _on_stage(
        app,
        cmd,
        Action.DECIDE_EXTENSION,
        lambda project, actor, key, now: project.decide_extension(
            key,
            actor,
            grant=cmd.grant,
            working_days=cmd.working_days,
            comment=cmd.comment,
            now=now,
            calendar=app.calendar,
        ),
    )


def _on_stage(app: App, cmd: Any, action: Action, act) -> Outcome:  # type: ignore[no-untyped-def]
    """Load the project and the actor, find the stage (by id or name), let the domain
    act, save, record — one transaction."""
    time = app.acting_time()
    now = time.at
    with app.uow() as uow:
        project, actor = uow.projects.get_with_actor(cmd.project_id, cmd.by, at=now)
        key = project.template.resolve_stage(cmd.stage).id
        # a substitute decides in a delegator's place during the delegation's range
        actor, delegator = acting_person(uow, project, key, actor, action, now)
        try:
            project.ensure_allowed(key, actor, action)
        except AccompanyError:
            pass  # the action refuses it itself, naming the problem in its own order
        else:
            _check_time(uow, project, key, action, time)
        events = act(project, actor, key, now)
        mark_on_behalf(events, actor, delegator)
        uow.projects.save(project)
        record(app, uow, project, events)
        uow.commit()
    return Outcome(project_id=cmd.project_id, events=events)


# -- the project's life (coordinator; a cancellation after an approval: street office) --


def suspend_project(app: App, cmd: SuspendProject) -> Outcome:
    return _on_project(
        app,
        cmd,
        Action.SUSPEND,
        lambda project, actor, uow, now: project.suspend(actor, reason=cmd.reason, now=now),
    )


def resume_project(app: App, cmd: ResumeProject) -> Outcome:
    return _on_project(
        app,
        cmd,
        Action.RESUME_PROJECT,
        lambda project, actor, uow, now: project.resume(actor, now=now, calendar=app.calendar),
    )


def cancel_project(app: App, cmd: CancelProject) -> Outcome:
    return _on_project(
        app,
        cmd,
        Action.CANCEL,
        lambda project, actor, uow, now: project.cancel(actor, reason=cmd.reason, now=now),
    )


def hand_over_project(app: App, cmd: HandOverProject) -> Outcome:
    def act(project: Project, actor, uow: UnitOfWork, now: dt.datetime) -> list[Event]:  # type: ignore[no-untyped-def]
        planner = uow.people.resolve(cmd.planner, field="planner")
        try:
            previous = uow.people.get(project.planner_id)
        except AccompanyError:
            previous = None
        return project.hand_over(
            actor, planner, note=cmd.note, now=now, previous=previous, from_planner=cmd.from_planner
        )

    return _on_project(app, cmd, Action.HANDOVER, act)


def edit_project(app: App, cmd: EditProject) -> Outcome:
    return _on_project(
        app,
        cmd,
        Action.EDIT,
        lambda project, actor, uow, now: project.edit(
            actor, name=cmd.name, community=cmd.community, seen=cmd.seen, now=now
        ),
    )


def edit_refusal(app: App, cmd: EditProject) -> AccompanyError | None:
    """What :func:`edit_project` would refuse, found without editing (a form with a
    problem of its own tells these with it)."""
    try:
        with app.reader() as uow:
            project, actor = uow.projects.get_with_actor(cmd.project_id, cmd.by)
            project.edit(actor, name=cmd.name, community=cmd.community, seen=cmd.seen, now=app.now())
    except AccompanyError as error:
        return error
    return None


def _on_project(app: App, cmd: Any, action: Action, act) -> Outcome:  # type: ignore[no-untyped-def]
    """Load the project and the actor, let the domain act on the whole project, save,
    record — one transaction. The moment is checked against the project's history
    once the actor may act (a refusal names the real problem first)."""
    time = app.acting_time()
    now = time.at
    with app.uow() as uow:
        project, actor = uow.projects.get_with_actor(cmd.project_id, cmd.by, at=now)
        try:
            project.ensure_project_allowed(actor, action)
        except AccompanyError:
            pass  # the action refuses it itself, naming the problem in its own order
        else:
            assert project.id is not None
            not_before_project_history(project, action, time, uow.events.last_lifecycle_at(project.id))
        events = act(project, actor, uow, now)
        uow.projects.save(project)
        record(app, uow, project, events)
        uow.commit()
    return Outcome(project_id=cmd.project_id, events=events)
