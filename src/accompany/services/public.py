"""The public project page residents reach without signing in (the QR codes on
their slips point there). Off by default: a coordinator of the project's street
publishes it. It shows what residents may know — the project, its community, the
问需/问计/问效 timeline with stage dates, the planner's name and masked work phone —
and nothing private: no evidence (only the files marked public), people's ids or whole
contacts.

The page is read in one transaction (:func:`public_page`): the project once, then
each residents' block (ballot, survey, comments, needs) from the project in hand."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy import delete, select

from ..db.orm import PublicPageRow
from ..models.consent import Channel
from ..models.deadlines import local_date
from ..models.errors import NotFound
from ..models.events import Event, EventKind
from ..models.households import mask_contact, may_manage_households, may_publish
from ..models.project import Project
from .households import RESIDENT_ACTOR, _project

if TYPE_CHECKING:
    from ..bootstrap import App
    from .unit_of_work import UnitOfWork


class PublicStage(BaseModel):
    name: str
    state: str
    started: dt.date | None
    due: dt.date | None
    approved: dt.date | None


class PublicPhase(BaseModel):
    name: str
    stages: list[PublicStage]


class PublicProject(BaseModel):
    id: int
    name: str
    community: str
    street: str
    district: str
    planner: str
    # the planner's work phone as residents may see it (138****5678), or ""
    planner_contact: str = ""
    status: str
    start_date: dt.date
    phases: list[PublicPhase]


class PublicPage(BaseModel):
    """Everything the public page shows, read in one transaction: the project and
    each residents' block its template has (None when it has none). The needs
    survey's menu (the items still offered) only while the survey is open."""

    project: PublicProject
    consent: Any = None  # services.consent.TallyView
    survey: Any = None  # services.satisfaction.SurveyView
    comments: Any = None  # services.comments.CommentsView
    needs: Any = None  # services.needs_tally.TallyView
    needs_menu: list[Any] = []  # services.needs.MenuEntry
    documents: list[Any] = []  # services.public_documents.PublicDocument


class Poster(BaseModel):
    """What the notice-board poster shows: the project, the URL of its public page
    (the QR code) and its planner, and whether the page is on line yet."""

    project_id: int
    project_name: str
    community: str
    planner: str
    url: str
    published: bool


def poster(app: App, project_id: int, *, by: str | None = None) -> Poster:
    """The poster of a project's public page (``by``: someone who may manage its
    residents; the operator's CLI passes none)."""
    from ..db.orm import PersonRow
    from .households import _allowed

    with app.reader() as uow:
        project = _allowed(uow, project_id, by)[0] if by else _project(uow, project_id)
        planner = uow.session.scalar(select(PersonRow.name).where(PersonRow.id == project.planner_id))
        published = is_published_in(uow, project.id)
    return Poster(
        project_id=project.id,
        project_name=project.name,
        community=project.community,
        planner=planner or project.planner_id,
        url=f"{app.settings.resolved_public_base_url()}/public/projects/{project.id}",
        published=published,
    )


def respondent(uow: UnitOfWork, project_id: int, by: str | None) -> tuple[Project, Channel, str]:
    """Who gives a household's answer, and the project locked for it: the resident
    on the published page (``by`` None: an unpublished project is unknown), or a
    planner or coordinator of the street recording a paper answer (代录)."""
    actor = uow.people.resolve(by, field="by") if by is not None else None
    project = uow.projects.get(project_id)  # locks the project: answers one after the other
    if actor is None:
        if not is_published_in(uow, project_id):
            raise NotFound("unknown project {project}", project=project_id)
        return project, Channel.PUBLIC, RESIDENT_ACTOR
    may_manage_households(actor, project)
    return project, Channel.PAPER, actor.id


def set_published(app: App, project_id: int, *, by: str, published: bool = True) -> bool:
    """Publish (or take off line) a project's public page; False when it already was."""
    now = app.acting_time().at
    with app.uow() as uow:
        actor = uow.people.resolve(by, field="by")
        project = _project(uow, project_id, lock=True)
        may_publish(actor, project)
        row = uow.session.get(PublicPageRow, project.id)
        if (row is not None) == published:
            return False
        if published:
            uow.session.add(PublicPageRow(project_id=project.id, published_at=now, published_by=actor.id))
        else:
            uow.session.execute(delete(PublicPageRow).where(PublicPageRow.project_id == project.id))
        kind = EventKind.PAGE_PUBLISHED if published else EventKind.PAGE_UNPUBLISHED
        uow.events.append(project.id, [Event(kind, at=now, actor=actor.id)])
        uow.commit()
    return True


def is_published(app: App, project_id: int) -> bool:
    with app.reader() as uow:
        return is_published_in(uow, project_id)


def is_published_in(uow: UnitOfWork, project_id: int) -> bool:
    return (
        uow.session.scalar(select(PublicPageRow.project_id).where(PublicPageRow.project_id == project_id))
        is not None
    )


def public_project(app: App, project_id: int) -> PublicProject:
    """The public page's project part; an unpublished project is "unknown", exactly
    like one that does not exist."""
    return public_page(app, project_id, blocks=False).project


def public_page(app: App, project_id: int, *, blocks: bool = True) -> PublicPage:
    """The public page's content in one read-only transaction (``blocks``: with the
    residents' blocks — ballot, survey, comments, needs); an unpublished project is
    "unknown", exactly like one that does not exist."""
    from .comments import comments_stage, comments_view, has_comments_stage
    from .consent import project_tally
    from .needs import _menu_view, needs_stage
    from .needs_tally import tally_view as needs_tally_view
    from .public_documents import public_documents_in
    from .satisfaction import survey_stage, survey_view

    with app.reader() as uow:
        if not is_published_in(uow, project_id):
            raise NotFound("unknown project {project}", project=project_id)
        project = uow.projects.get(project_id)
        page = PublicPage(project=_public_project(app, uow, project))
        if not blocks:
            return page
        stages = project.template.stages
        page.documents = public_documents_in(uow, project_id, app.lang)
        page.consent = project_tally(uow, project)
        if any(s.satisfaction is not None for s in stages):
            page.survey = survey_view(uow, project, survey_stage(project))
        if has_comments_stage(project):
            page.comments = comments_view(
                uow, project, comments_stage(project), public=True, today=local_date(app.now())
            )
        if any(s.needs is not None for s in stages):
            page.needs = needs_tally_view(uow, project, needs_stage(project))
            if page.needs.open:
                page.needs_menu = [i for i in _menu_view(uow, project_id).items if not i.retired]
        return page


def _public_project(app: App, uow: UnitOfWork, project: Project) -> PublicProject:
    from ..db.orm import PersonRow
    from .queries import project_detail

    detail = project_detail(app, uow, project)
    phone = uow.session.scalar(select(PersonRow.phone).where(PersonRow.id == project.planner_id))

    def day(moment: dt.datetime | None) -> dt.date | None:
        return local_date(moment) if moment is not None else None

    phases = [
        PublicPhase(
            name=phase_name,
            stages=[
                PublicStage(
                    name=s.name,
                    state=s.state,
                    started=day(s.activated_at),
                    due=s.timing.due,
                    approved=day(s.approved_at),
                )
                for s in detail.stages
                if s.phase == phase_id
            ],
        )
        for phase_id, phase_name in detail.phases
    ]
    return PublicProject(
        id=detail.id,
        name=detail.name,
        community=detail.community,
        street=detail.street_name,
        district=detail.district_name,
        planner=detail.planner_name,
        planner_contact=mask_contact(phone),
        status=detail.status,
        start_date=detail.start_date,
        phases=phases,
    )
