"""Read models for people: the portfolio list and one project's full picture.

Times are shown in Asia/Shanghai; JSON output carries the +08:00 offset."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy import func, select

from ..db.orm import EventRow, PersonRow, ProjectRow, StreetRow
from ..i18n import translate
from ..models.calendar import WorkingCalendar
from ..models.deadlines import LOCAL_TZ, local_date
from ..models.delegation import on_behalf_label
from ..models.errors import NotFound
from ..models.events import SYSTEM_ACTOR
from ..models.project import Project
from ..models.rules import is_backdated
from ..models.stage import Stage
from ..models.states import StageState
from ..models.template import JointStep, ProcessTemplate
from .households import RESIDENT_ACTOR

if TYPE_CHECKING:
    from ..bootstrap import App
    from .unit_of_work import UnitOfWork


def local(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.astimezone(LOCAL_TZ) if moment else None


class Timing(BaseModel):
    """Where a stage stands against its deadline today."""

    due: dt.date | None = None
    provisional: bool = False
    paused: bool = False
    overdue: bool = False
    days_overdue: int = 0
    working_days_overdue: int = 0
    working_days_left: int | None = None


def timing(
    state: str,
    due: dt.date | None,
    provisional: bool,
    paused: bool,
    today: dt.date,
    calendar: WorkingCalendar,
) -> Timing:
    result = Timing(due=due, provisional=provisional, paused=paused)
    if due is None or state != StageState.IN_PROGRESS.value or paused:
        return result
    if today > due:
        result.overdue = True
        result.days_overdue = (today - due).days
        result.working_days_overdue = calendar.working_days_late(due, today).days
    else:
        result.working_days_left = calendar.working_days_between(
            today + dt.timedelta(days=1), due + dt.timedelta(days=1)
        ).days
    return result


class StageSummary(BaseModel):
    key: str
    name: str
    phase: str
    state: str
    waiting_for: str | None = None
    timing: Timing


def list_projects(
    app: App,
    *,
    street: str | None = None,
    district: str | None = None,
    overdue_only: bool = False,
    limit: int | None = None,
    records: bool = False,
) -> tuple[list[Any], int]:
    """Every project (the operator's view: no scope), newest first, filtered by
    district and street (id or name) and overdue; returns (page, total). With
    ``records``, each project as its JSON record (for ``--json``), not a model."""
    from .portfolio import ProjectFilter, browse_projects, portfolio_records

    with app.reader() as uow:
        district_id = uow.people.resolve_district(district).id if district is not None else None
        street_id = None
        if street is not None:
            street_row = uow.session.scalar(
                select(StreetRow).where((StreetRow.id == street) | (StreetRow.name == street))
            )
            if street_row is None:
                raise NotFound("unknown street '{street}'", street=street[:100])
            street_id = street_row.id
    filters = ProjectFilter(district=district_id, street=street_id, state="overdue" if overdue_only else None)
    if records:
        return portfolio_records(app, None, filters, limit=limit or 100_000, offset=0)
    return browse_projects(app, None, filters, limit=limit or 100_000, offset=0)


# -- one project -------------------------------------------------------------------


class ApprovalView(BaseModel):
    round: int
    level: str
    decision: str
    by: str
    at: dt.datetime
    comment: str | None
    by_name: str = ""
    # a substitute's decision (代理审批): whom they decided for, by id and name
    on_behalf_of: str | None = None
    on_behalf_of_name: str | None = None


class PauseView(BaseModel):
    paused_at: dt.datetime
    paused_by: str
    reason: str
    resumed_at: dt.datetime | None
    resumed_by: str | None
    paused_by_name: str = ""
    resumed_by_name: str | None = None


class ExtensionView(BaseModel):
    requested_at: dt.datetime
    requested_by: str
    working_days: int
    reason: str
    status: str
    decided_by: str | None
    decided_at: dt.datetime | None
    granted_days: int | None
    comment: str | None
    requested_by_name: str = ""
    decided_by_name: str | None = None
    # decided by a substitute (代理审批): whom they decided for, by id and name
    decided_on_behalf_of: str | None = None
    decided_on_behalf_of_name: str | None = None
    #: why it was withdrawn (``models.stage.WITHDRAWN_*``), when it was and its
    #: event says so
    withdrawn_why: str | None = None


def withdrawal_reasons(uow: UnitOfWork, project_id: int) -> dict[tuple[str, dt.datetime | None], str]:
    """Why each of the project's withdrawn extension requests was withdrawn, by stage
    and the moment it was (the request's ``decided_at``): the ``why`` its
    ``stage.extension_withdrawn`` event carries."""
    return {
        (e.stage_key or "", local(e.occurred_at)): str(e.data["why"])
        for e in uow.events.rows_for_project(project_id, kinds=("stage.extension_withdrawn",))
        if (e.data or {}).get("why")
    }


#: the events of a decision a substitute may take in a delegator's place: they
#: carry ``on_behalf_of`` (``services.delegation.mark_on_behalf``)
DECISION_KINDS = (
    "stage.approved",
    "stage.returned",
    "stage.extension_granted",
    "stage.extension_refused",
)


def decided_on_behalf(rows: Iterable[Any]) -> dict[tuple[str, dt.datetime | None], str]:
    """Whom each substitute's decision among the event ``rows`` was for, by who
    decided and when (an approval's or an extension's ``decided_by`` and
    ``decided_at``: the moment its event is dated). Not by stage: a template
    migration may have renamed the stage since; and one person's decisions on a
    project at one moment are all theirs or all in the same delegator's place."""
    return {
        (e.actor, local(e.occurred_at)): str(e.data["on_behalf_of"])
        for e in rows
        if e.kind in DECISION_KINDS and (e.data or {}).get("on_behalf_of")
    }


class AttachmentView(BaseModel):
    key: str | None
    filename: str
    sha256: str
    size: int
    added_by: str
    added_at: dt.datetime
    id: int | None = None
    added_by_name: str = ""


class EvidenceItem(BaseModel):
    """One evidence field of a stage as a person reads it: its label and value."""

    key: str
    label: str
    type: str
    value: Any = None
    required: bool = True


class NoteView(BaseModel):
    """What the planner wrote for the approver when marking the stage done."""

    at: dt.datetime
    by: str
    by_name: str
    text: str


class SignatureView(BaseModel):
    party: str
    person: str | None
    person_name: str = ""
    signed: bool
    at: dt.datetime | None = None
    comment: str | None = None


class SigningView(BaseModel):
    """The signing table of a joint step: ``mode`` all (会签) or any (或签)."""

    mode: str
    signatures: list[SignatureView]

    @property
    def signed(self) -> list[str]:
        return [s.party for s in self.signatures if s.signed]

    @property
    def awaited(self) -> list[str]:
        return (
            [s.party for s in self.signatures if not s.signed]
            if not (self.mode == "any" and self.signed)
            else []
        )


class PartyView(BaseModel):
    role: str
    person: str
    person_name: str = ""


class StageDetail(StageSummary):
    phase_name: str = ""
    evidence_items: list[EvidenceItem] = []
    notes: list[NoteView] = []
    # the note of the submission the stage stands on (done or approved), for the approver
    current_note: NoteView | None = None
    round: int
    depends_on: list[str]
    rule: str
    deadline_basis: dict[str, Any] | None
    activated_at: dt.datetime | None
    submitted_at: dt.datetime | None
    approved_at: dt.datetime | None
    approval_levels: list[str]
    # a joint step (会签/或签) the stage waits for: its parties, who signed in this
    # round and who is still awaited (party role → person id on the project)
    signing: SigningView | None = None
    evidence: dict[str, Any]
    attachments: list[AttachmentView]
    approvals: list[ApprovalView]
    pauses: list[PauseView]
    extensions: list[ExtensionView]


class EventView(BaseModel):
    id: int
    at: dt.datetime
    recorded_at: dt.datetime | None
    actor: str
    kind: str
    stage: str | None
    before: str | None
    after: str | None
    data: dict[str, Any]
    actor_name: str = ""
    stage_name: str | None = None
    channel: str | None = None
    os_user: str | None = None
    # recorded well after the moment it is dated (an operator's back-fill)
    backdated: bool = False


class ProjectDetail(BaseModel):
    id: int
    name: str
    district: str
    street: str
    community: str
    planner: str
    coordinator: str
    template: str
    params: dict[str, Any]
    status: str
    start_date: dt.date
    created_at: dt.datetime
    completed_at: dt.datetime | None
    stages: list[StageDetail]
    events: list[EventView] | None = None
    # how many events the project's audit log holds (events may be only the newest)
    events_total: int | None = None
    district_name: str = ""
    street_name: str = ""
    planner_id: str = ""
    planner_name: str = ""
    coordinator_id: str = ""
    coordinator_name: str = ""
    template_name: str = ""
    phases: list[tuple[str, str]] = []
    # suspended or cancelled: why, since when, by whom
    status_reason: str | None = None
    status_since: dt.datetime | None = None
    status_by: str | None = None
    status_by_name: str = ""
    # the project's parties (design institute, community committee …)
    parties: list[PartyView] = []


def show_project(app: App, project_id: int, *, with_events: bool = False) -> ProjectDetail:
    with app.reader() as uow:
        return project_detail(app, uow, uow.projects.get(project_id), with_events=with_events)


def project_detail(
    app: App,
    uow: UnitOfWork,
    project: Project,
    *,
    with_events: bool = False,
    newest_events: int | None = None,
) -> ProjectDetail:
    """The read model of a loaded project, in the reader's unit of work: with its
    whole audit log (``with_events``, oldest first), or only the ``newest_events``
    newest events (newest first) and the log's length in ``events_total``."""
    assert project.id is not None
    project_id = project.id
    today = local_date(app.now())
    lang = app.lang
    events_total = None
    # every submission (its note) and every decision (whom a substitute decided for)
    kinds = ("stage.submitted", *DECISION_KINDS)
    if newest_events is not None:
        # one statement: the newest events, those of ``kinds``, the count
        rows, events_total = uow.events.page_for_project(project_id, newest_events, also=kinds)
        events_rows = [e for e in rows if e.rn <= newest_events]
        wanted_rows = [e for e in reversed(rows) if e.kind in kinds]
        with_events = True
    else:
        events_rows = uow.events.rows_for_project(project_id) if with_events else []
        wanted_rows = events_rows if with_events else uow.events.rows_for_project(project_id, kinds=kinds)
    submissions = [e for e in wanted_rows if e.kind == "stage.submitted"]
    behalf = decided_on_behalf(wanted_rows)
    referenced = {project.planner_id, project.coordinator_id, *project.parties.values()}
    if project.status_by:
        referenced.add(project.status_by)
    for stage in project.stages.values():
        referenced |= {a.added_by for a in stage.attachments} | {a.decided_by for a in stage.approvals}
        referenced |= {p.paused_by for p in stage.pauses} | {
            p.resumed_by for p in stage.pauses if p.resumed_by
        }
        referenced |= {e.requested_by for e in stage.extensions}
        referenced |= {e.decided_by for e in stage.extensions if e.decided_by}
    referenced |= {e.actor for e in events_rows} | {e.actor for e in submissions}
    referenced |= {str(e.data["on_behalf_of"]) for e in events_rows if (e.data or {}).get("on_behalf_of")}
    referenced |= set(behalf.values())
    wanted = {p for p in referenced if p}
    # only the names: the page shows no more of these people
    people: dict[str, str] = (
        dict(uow.session.execute(select(PersonRow.id, PersonRow.name).where(PersonRow.id.in_(wanted))).all())  # type: ignore[arg-type]
        if wanted
        else {}
    )

    def who(person_id: str) -> str:
        person = people.get(person_id)
        return f"{person} ({person_id})" if person is not None else person_id

    def name(person_id: str | None) -> str:
        if not person_id:
            return ""
        if person_id == SYSTEM_ACTOR:
            return person_id
        return people.get(person_id, person_id)

    stages = [
        _stage_detail(project, stage, today, app.calendar, lang, name, behalf)
        for stage in project.stages.values()
    ]
    withdrawn = [(s, x) for s in stages for x in s.extensions if x.status in ("withdrawn", "lapsed")]
    if withdrawn:
        reasons = withdrawal_reasons(uow, project_id)
        for s, x in withdrawn:
            x.withdrawn_why = reasons.get((s.key, x.decided_at))
    notes: dict[str, list[NoteView]] = {}
    latest: dict[str, NoteView | None] = {}  # the last submission's note (None: it gave none)
    for e in submissions:
        text = (e.data or {}).get("note")
        note = (
            NoteView(at=local(e.occurred_at), by=e.actor, by_name=name(e.actor), text=text) if text else None
        )
        latest[e.stage_key or ""] = note
        if note is not None:
            notes.setdefault(e.stage_key or "", []).append(note)
    for stage_detail in stages:
        stage_detail.notes = notes.get(stage_detail.key, [])
        if stage_detail.state in ("submitted", "approved"):
            stage_detail.current_note = latest.get(stage_detail.key)
    events = event_views(events_rows, project.template, lang, name) if with_events else None
    template = project.template
    return ProjectDetail(
        id=project_id,
        name=project.name,
        district=project.district,
        street=project.street,
        community=project.community,
        planner=who(project.planner_id),
        coordinator=who(project.coordinator_id),
        template=template.ref,
        params=project.params,
        status=project.status.value,
        start_date=project.start_date,
        created_at=local(project.created_at),
        completed_at=local(project.completed_at),
        stages=stages,
        events=events,
        events_total=events_total if events_total is not None else (len(events) if events else None),
        district_name=project.district_name or project.district,
        street_name=project.street_name or project.street,
        planner_id=project.planner_id,
        planner_name=name(project.planner_id),
        coordinator_id=project.coordinator_id,
        coordinator_name=name(project.coordinator_id),
        template_name=template.name if lang == "zh" or not template.name_en else template.name_en,
        phases=[(p.id, p.name if lang == "zh" or not p.name_en else p.name_en) for p in template.phases],
        status_reason=project.status_reason,
        status_since=local(project.status_since),
        status_by=project.status_by,
        status_by_name=name(project.status_by),
        parties=[
            PartyView(role=role, person=person, person_name=name(person))
            for role, person in sorted(project.parties.items())
        ],
    )


def event_views(
    rows: Iterable[Any], template: ProcessTemplate, lang: str, name: Callable[[str | None], str]
) -> list[EventView]:
    """Audit-log rows as a person reads them: names, stage names, both times."""
    rows = list(rows)
    resident = translate("resident (public page)", lang)
    stage_names = {
        **former_stage_names(rows, lang),
        **{spec.id: spec.label(lang) for spec in template.stages},
    }
    return [
        EventView(
            id=e.id,
            at=local(e.occurred_at),
            recorded_at=local(e.recorded_at),
            actor=e.actor,
            kind=e.kind,
            stage=e.stage_key,
            before=e.before_state,
            after=e.after_state,
            data=e.data,
            # a substitute's decision names the delegator: 李静（代 赵阳）
            actor_name=resident
            if e.actor == RESIDENT_ACTOR  # a resident on the public page, not a person of the directory
            else on_behalf_label(name(e.actor), name((e.data or {}).get("on_behalf_of")) or None, lang),
            stage_name=stage_names.get(e.stage_key) if e.stage_key else None,
            channel=e.channel,
            os_user=e.os_user,
            backdated=is_backdated(e.occurred_at, e.recorded_at),
        )
        for e in rows
    ]


def former_stage_names(rows: Iterable[Any], lang: str) -> dict[str, str]:
    """The names of stages a template migration renamed or removed, as its
    ``project.migrated`` event recorded them: the events before the move name the
    stage by its old id, and people read its name."""
    names: dict[str, str] = {}
    english = "_en" if lang == "en" else ""
    for row in rows:
        if row.kind != "project.migrated":
            continue
        for stage in (row.data or {}).get("stages") or ():
            old = stage.get("from")
            if old and old != stage.get("to"):
                names[old] = stage.get(f"from_name{english}") or stage.get("from_name") or old
    return names


def _signing(
    project: Project, stage: Stage, step: object, name: Callable[[str | None], str]
) -> SigningView | None:
    """The signing table of the joint step a done stage waits for."""
    if not isinstance(step, JointStep):
        return None
    signed = {a.level.value: a for a in stage.approvals_this_round() if a.party}
    rows = []
    for party in step.parties:
        record = signed.get(party.value)
        person = record.decided_by if record else project.parties.get(party.value)
        rows.append(
            SignatureView(
                party=party.value,
                person=person,
                person_name=name(person),
                signed=record is not None,
                at=local(record.decided_at) if record else None,
                comment=record.comment if record else None,
            )
        )
    return SigningView(mode=step.mode, signatures=rows)


def _stage_detail(
    project: Project,
    stage: Stage,
    today: dt.date,
    calendar: WorkingCalendar,
    lang: str,
    name: Callable[[str | None], str] = lambda person_id: person_id or "",
    behalf: dict[tuple[str, dt.datetime | None], str] | None = None,
) -> StageDetail:
    """``behalf``: whom each substitute's decision was for (:func:`decided_on_behalf`)."""
    behalf = behalf or {}
    spec = project.template.stage(stage.key)
    phase = project.template.phase(spec.phase)
    attached = {a.key for a in stage.attachments if a.key}
    deadline = stage.deadline
    next_level = stage.next_approval_level()

    def decided_for(person_id: str | None, at: dt.datetime | None) -> str | None:
        return behalf.get((person_id, local(at))) if person_id else None

    return StageDetail(
        key=stage.key,
        name=spec.label(lang),
        phase=spec.phase,
        phase_name=phase.name if lang == "zh" or not phase.name_en else phase.name_en,
        evidence_items=[
            EvidenceItem(
                key=f.key,
                label=f.label if lang == "zh" or not f.label_en else f.label_en,
                type=f.type.value,
                value=(f.key in attached) if f.type.value == "attachment" else stage.evidence.get(f.key),
                required=f.required,
            )
            for f in spec.evidence
        ],
        state=stage.state.value,
        waiting_for=next_level.value if next_level else None,
        timing=timing(
            # a cancelled project's stages are never overdue
            stage.state.value if project.status.value != "cancelled" else "cancelled",
            deadline.due if deadline else None,
            deadline.provisional if deadline else False,
            stage.open_pause() is not None,
            today,
            calendar,
        ),
        round=stage.round,
        depends_on=list(project.template.dependencies(stage.key)),
        rule=spec.deadline.describe(lang, {s.id: s.label(lang) for s in project.template.stages}),
        deadline_basis=deadline.to_record() if deadline else None,
        activated_at=local(stage.activated_at),
        submitted_at=local(stage.submitted_at),
        approved_at=local(stage.approved_at),
        approval_levels=[
            f"{step.mode}:{','.join(step.parties)}" if isinstance(step, JointStep) else step.value
            for step in spec.approval
        ],
        signing=_signing(project, stage, next_level, name),
        evidence=stage.evidence,
        attachments=[
            AttachmentView(
                key=a.key,
                filename=a.filename,
                sha256=a.sha256,
                size=a.size,
                added_by=a.added_by,
                added_at=local(a.added_at),
                id=a.id,
                added_by_name=name(a.added_by),
            )
            for a in stage.attachments
        ],
        approvals=[
            ApprovalView(
                round=a.round,
                level=a.level.value,
                decision=a.decision,
                by=a.decided_by,
                at=local(a.decided_at),
                comment=a.comment,
                by_name=name(a.decided_by),
                on_behalf_of=(delegator := decided_for(a.decided_by, a.decided_at)),
                on_behalf_of_name=name(delegator) if delegator else None,
            )
            for a in stage.approvals
        ],
        pauses=[
            PauseView(
                paused_at=local(p.paused_at),
                paused_by=p.paused_by,
                reason=p.reason,
                resumed_at=local(p.resumed_at),
                resumed_by=p.resumed_by,
                paused_by_name=name(p.paused_by),
                resumed_by_name=name(p.resumed_by) if p.resumed_by else None,
            )
            for p in stage.pauses
        ],
        extensions=[
            ExtensionView(
                requested_at=local(e.requested_at),
                requested_by=e.requested_by,
                working_days=e.working_days,
                reason=e.reason,
                status=e.status,
                decided_by=e.decided_by,
                decided_at=local(e.decided_at),
                granted_days=e.granted_days,
                comment=e.comment,
                requested_by_name=name(e.requested_by),
                decided_by_name=name(e.decided_by) if e.decided_by else None,
                decided_on_behalf_of=(delegator := decided_for(e.decided_by, e.decided_at)),
                decided_on_behalf_of_name=name(delegator) if delegator else None,
            )
            for e in stage.extensions
        ],
    )


def event_count(app: App) -> int:
    with app.reader() as uow:
        return uow.session.scalar(select(func.count()).select_from(EventRow)) or 0


def stage_labels(app: App, project_id: int) -> dict[str, str]:
    """A project's stage names in the reader's language, by stage key."""
    with app.reader() as uow:
        row = uow.session.execute(
            select(ProjectRow.template_pk, ProjectRow.params).where(ProjectRow.id == project_id)
        ).first()
        if row is None:
            return {}
        template = uow.templates.parsed_by_pk(row.template_pk, row.params or {})
    return {spec.id: spec.label(app.lang) for spec in template.stages}


def attachment_by_id(app: App, attachment_id: int) -> tuple[str, Any]:
    """An evidence file for the operator (no scope): its name and stored path."""
    from ..db.orm import AttachmentRow

    with app.reader() as uow:
        row = uow.session.get(AttachmentRow, attachment_id)
        if row is None:
            raise NotFound("unknown attachment {attachment}", attachment=attachment_id)
        filename, stored_as = row.filename, row.stored_as
    return filename, app.attachments.open(stored_as)
