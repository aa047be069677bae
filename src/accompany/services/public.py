"""The public project page residents reach without signing in (the QR codes on
their slips point there). Off by default: a coordinator of the project's street
publishes it. It shows what residents may know — the project, its community, the
问需/问计/问效 timeline with stage dates, the planner's name — and nothing private:
no evidence, files, comments, people's ids or contacts."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pydantic import BaseModel
from sqlalchemy import delete, select

from ..db.orm import PublicPageRow
from ..models.consent import Channel
from ..models.deadlines import local_date
from ..models.errors import NotFound
from ..models.events import Event, EventKind
from ..models.households import may_manage_households, may_publish
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
    status: str
    start_date: dt.date
    phases: list[PublicPhase]


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
    """The public page's content; an unpublished project is "unknown", exactly like
    one that does not exist."""
    from .queries import show_project

    if not is_published(app, project_id):
        raise NotFound("unknown project {project}", project=project_id)
    detail = show_project(app, project_id)

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
        status=detail.status,
        start_date=detail.start_date,
        phases=phases,
    )
