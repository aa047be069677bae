"""One project as a person may see it: its page with the actions the rules allow
them now (themselves or in the place of whoever they stand in for), a page of its
audit log, a stage's forms, why an action is refused, and its evidence files.

Part of the pages' read models (see :mod:`.worklists`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from ..db.orm import AttachmentRow, ProjectRow, StageRow
from ..models.delegation import DELEGATED_ACTIONS, acting_for
from ..models.errors import AccompanyError, NotFound
from ..models.events import SYSTEM_ACTOR
from ..models.parties import parties_missing, parties_words
from ..models.people import Person
from ..models.project import Project
from ..models.rules import PROJECT_RULES, STAGE_ACTIONS, Action
from ..models.template import ProcessTemplate, StageSpec
from .comments import CommentsView, project_comments_in
from .consent import TallyView, project_tally
from .delegation import delegators_of, standing_in
from .names import load_names
from .needs_tally import NeedsBlock, project_needs
from .queries import EventView, ProjectDetail, StageDetail, event_views, project_detail
from .satisfaction import CommentView, SurveyView, project_survey
from .scope import ensure_visible, visible_project_ids

if TYPE_CHECKING:
    from ..bootstrap import App
    from .unit_of_work import UnitOfWork

P, S = ProjectRow.__table__, StageRow.__table__


class ProjectView(BaseModel):
    detail: ProjectDetail
    # stage key → the actions this person may take on it now (Action values)
    actions: dict[str, list[str]]
    # the actions on the whole project this person may take now: suspend,
    # resume_project, cancel, handover, edit
    project_actions: list[str] = []
    # the planners the project may be handed over to (id, name), when allowed
    planners: list[tuple[str, str]] = []
    # the template names parties (会签/或签); and those the project has not named yet,
    # per stage needing them: (stage, its English name, the parties, in English)
    has_parties: bool = False
    parties_missing: list[tuple[str, str, str, str]] = []
    # a newer version of the project's template it may move to (id@version), for who may
    newer_template: str | None = None
    # the consent ballot's tally, when asked for and the template has one
    consent: TallyView | None = None
    # the satisfaction survey's tally and, for who manages residents' data, comments
    survey: SurveyView | None = None
    survey_comments: list[CommentView] = []
    # residents' comments and objections (问计), when the template takes them
    comments: CommentsView | None = None
    # the residents' needs survey (问需): tally, menu and problem points, when the
    # template takes one
    needs: NeedsBlock | None = None
    # the last moment (real clock) the first "undo" among the actions is still offered
    undo_until: dt.datetime | None = None


def project_view(
    app: App,
    person: Person,
    project_id: int,
    *,
    with_events: bool = True,
    newest_events: int | None = None,
    with_tally: bool = False,
) -> ProjectView:
    """One project as the person may see it (NotFound outside their scope), with the
    actions the transition rules allow them on each stage now; with its whole audit
    log, or only its ``newest_events`` newest events (see :func:`project_detail`);
    ``with_tally``: and its consent ballot's tally, read in the same transaction."""
    with app.reader() as uow:
        try:
            project = uow.projects.get(project_id)
        except NotFound:
            project = None
        # whoever the person decides for under a delegation (代理审批): their scope too
        delegators = delegators_of(uow, person, app.now())
        # outside the person's scope reads exactly like a project that does not exist
        if project is None or not any(
            who.scope().covers(project.district, project.street, project.planner_id, project.parties.values())
            for who in (person, *delegators)
        ):
            raise NotFound("unknown project {project}", project=project_id)
        view = _view(app, uow, person, project, with_events, newest_events, delegators)
        if with_tally:
            view.consent = project_tally(uow, project)
            view.survey, view.survey_comments = project_survey(uow, project, person)
            view.comments = project_comments_in(app, uow, person, project)
            view.needs = project_needs(uow, project)
        return view


def _view(
    app: App,
    uow: UnitOfWork,
    person: Person,
    project: Project,
    with_events: bool,
    newest_events: int | None = None,
    delegators: list[Person] | None = None,
) -> ProjectView:
    detail = project_detail(app, uow, project, with_events=with_events, newest_events=newest_events)
    actions: dict[str, list[str]] = {}
    # a substitute decides in the place of whoever they stand in for (代理审批)
    if delegators is None:
        delegators = delegators_of(uow, person, app.now())
    proxies = [acting_for(person, d) for d in delegators]
    for key in project.stages:
        for action in STAGE_ACTIONS:
            acting = [person, *proxies] if action in DELEGATED_ACTIONS else [person]
            if stage_refusal(project, key, acting, action) is None:
                actions.setdefault(key, []).append(action.name.lower())
    # the person's own last decision, within the undo window (撤回)
    from .undo import undoable_until

    undoable, undo_until = undoable_until(app, uow, project, person)
    for key in sorted(undoable):
        actions.setdefault(key, []).append("undo")
    # a failed consent the person may loop back for a new round (models.loop)
    from .loop import loopable

    looping = loopable(app, uow, project, person)
    if looping is not None:
        actions.setdefault(looping, []).append("loop")
    project_actions = [
        action.name.lower() for action in PROJECT_RULES if _project_refusal(project, person, action) is None
    ]
    planners: list[tuple[str, str]] = []
    if "handover" in project_actions:
        planners = [
            (p.id, p.name)
            for p in uow.people.planners_of(project.district, project.street)
            if p.id != project.planner_id
        ]
    # the parties still to be named, per stage that needs them (in the stages' order)
    waiting: dict[str, tuple[StageSpec, list[str]]] = {}
    for role, spec in parties_missing(project.template, project.parties).items():
        waiting.setdefault(spec.id, (spec, []))[1].append(role)
    missing = [
        (spec.name, spec.name_en or spec.name, parties_words(roles).zh, str(parties_words(roles)))
        for spec, roles in waiting.values()
    ]
    return ProjectView(
        detail=detail,
        actions=actions,
        project_actions=project_actions,
        planners=planners,
        has_parties=bool(project.template.party_roles()),
        parties_missing=missing,
        newer_template=newer_template(app, project.template) if "migrate" in project_actions else None,
        undo_until=undo_until,
    )


def project_action_refusal(
    app: App, person: Person, project_id: int, action: Action
) -> AccompanyError | None:
    """Why ``person`` may not take ``action`` on the project now (the rule's own
    refusal), or None when they may."""
    with app.reader() as uow:
        return _project_refusal(uow.projects.get(project_id), person, action)


def _project_refusal(project: Project, person: Person, action: Action) -> AccompanyError | None:
    try:
        project.ensure_project_allowed(person, action)
    except AccompanyError as exc:
        return exc
    return None


def newer_template(app: App, template: ProcessTemplate) -> str | None:
    """The newest version of the template when it is newer than ``template``."""
    newer = [
        f.template
        for f in app.catalog.files()
        if f.template.id == template.id and f.template.version > template.version
    ]
    return max(newer, key=lambda t: t.version).ref if newer else None


class EventsPage(BaseModel):
    """One page of a project's audit log, newest first."""

    project_id: int
    project: str
    events: list[EventView]
    total: int
    offset: int
    limit: int
    # stage key → evidence key → label, to summarise what an event recorded
    evidence_labels: dict[str, dict[str, str]]


def project_events(app: App, person: Person, project_id: int, *, offset: int, limit: int) -> EventsPage:
    """``limit`` events of a project's audit log, newest first, after the ``offset``
    newest (NotFound outside the person's scope, like the project)."""
    lang = app.lang
    with app.reader() as uow:
        ensure_visible(uow, person, project_id, app.now())
        row = uow.session.execute(
            select(P.c.name, P.c.template_pk, P.c.params).where(P.c.id == project_id)
        ).one()
        template = uow.templates.parsed_by_pk(row.template_pk, row.params or {})
        rows, total = uow.events.page_for_project(project_id, limit, skip=offset)
        # the actors, and whoever a substitute decided for (李静（代 赵阳）)
        wanted = {r.actor for r in rows} | {
            str(r.data["on_behalf_of"]) for r in rows if (r.data or {}).get("on_behalf_of")
        }
        names = load_names(uow, wanted, streets=(), districts=())
    labels = {
        spec.id: {f.key: f.label if lang == "zh" or not f.label_en else f.label_en for f in spec.evidence}
        for spec in template.stages
    }

    def name(person_id: str | None) -> str:
        if person_id == SYSTEM_ACTOR:
            return person_id
        return names.person(person_id)

    return EventsPage(
        project_id=project_id,
        project=row.name,
        events=event_views(rows, template, lang, name),
        total=total,
        offset=offset,
        limit=limit,
        evidence_labels=labels,
    )


class DecidingFor(BaseModel):
    """Whom the person decides a stage for as a substitute (代理审批): the delegator,
    their role (street-office or district) and the delegation's last day."""

    delegator: str
    delegator_name: str
    role: str
    until: dt.date


class StageForm(BaseModel):
    """What a stage's forms need: the project as the person sees it, the stage, and
    its template spec (evidence fields with their types, bounds and choices)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    view: ProjectView
    stage: StageDetail
    spec: StageSpec
    # the person approves or returns the stage in someone's place, not their own
    deciding_for: DecidingFor | None = None
    # … or decides its extension request in someone's place
    deciding_extension_for: DecidingFor | None = None


def stage_form(app: App, person: Person, project_id: int, stage: str) -> StageForm:
    with app.reader() as uow:
        now = app.now()
        ensure_visible(uow, person, project_id, now)
        project = uow.projects.get(project_id)
        spec = project.template.stage(stage)  # NotFound names the template's stages
        view = _view(app, uow, person, project, with_events=False)
        allowed = view.actions.get(spec.id, [])
        deciding_for = (
            _deciding_for(uow, project, spec.id, person, Action.APPROVE, now)
            if "approve" in allowed
            else None
        )
        deciding_extension_for = (
            _deciding_for(uow, project, spec.id, person, Action.DECIDE_EXTENSION, now)
            if "decide_extension" in allowed
            else None
        )
    detail = next(s for s in view.detail.stages if s.key == spec.id)
    return StageForm(
        view=view,
        stage=detail,
        spec=spec,
        deciding_for=deciding_for,
        deciding_extension_for=deciding_extension_for,
    )


def _deciding_for(
    uow: UnitOfWork, project: Project, key: str, person: Person, action: Action, now: dt.datetime
) -> DecidingFor | None:
    """Whom ``person`` takes ``action`` on the stage for as a substitute; None when
    they take it as themself."""
    found = standing_in(uow, project, key, person, action, now)
    if found is None:
        return None
    delegation, delegator = found
    return DecidingFor(
        delegator=delegator.id,
        delegator_name=delegator.name,
        role=delegator.role.value,
        until=delegation.ends_on,
    )


def stage_action_refusal(
    app: App, person: Person, project_id: int, stage: str, action: Action
) -> AccompanyError | None:
    """Why ``person`` may not take ``action`` on the stage now (the rule's own refusal,
    for a stage form opened by its address), or None when they may — themselves or
    in the place of someone they stand in for (代理审批)."""
    with app.reader() as uow:
        project = uow.projects.get(project_id)
        key = project.template.stage(stage).id
        acting = [person]
        if action in DELEGATED_ACTIONS:
            acting += [acting_for(person, d) for d in delegators_of(uow, person, app.now())]
    return stage_refusal(project, key, acting, action)


def stage_refusal(project: Project, key: str, acting: list[Person], action: Action) -> AccompanyError | None:
    """None when one of ``acting`` (the person, then whoever they stand in for) may
    take ``action`` on the stage; else the rule's refusal to the first of them."""
    refusal: AccompanyError | None = None
    for who in acting:
        try:
            project.ensure_allowed(key, who, action)
        except AccompanyError as exc:
            refusal = refusal or exc
            continue
        return None
    return refusal


class StoredAttachment(BaseModel):
    path: str
    filename: str
    size: int


def attachment_file(app: App, person: Person, attachment_id: int) -> StoredAttachment:
    """An evidence file, for someone who may see its project."""
    with app.reader() as uow:
        row = uow.session.execute(
            select(AttachmentRow.filename, AttachmentRow.stored_as, AttachmentRow.size, S.c.project_id)
            .join(S, S.c.id == AttachmentRow.stage_id)
            .where(AttachmentRow.id == attachment_id)
        ).first()
        if row is None or not visible_project_ids(uow, person, [row.project_id], app.now()):
            raise NotFound("unknown attachment {attachment}", attachment=attachment_id)
    path = app.attachments.open(row.stored_as)
    return StoredAttachment(path=str(path), filename=row.filename, size=row.size)
