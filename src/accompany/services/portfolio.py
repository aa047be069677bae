"""The portfolio: the projects in a person's scope (every project for the operator's
CLI) that match a coordinator's filters, one page at a time, newest first — as
models for the pages and the API, or as plain JSON records for a whole city's
``project list --json`` — and what the filters offer.

One statement per page, built once per shape of scope and filters. Part of the
pages' read models (see :mod:`.worklists`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel
from sqlalchemy import and_, bindparam, case, exists, func, or_, select, true

from ..db.orm import PersonRow, ProjectPartyRow, ProjectRow, StageRow, StreetRow
from ..models.deadlines import local_date
from ..models.errors import InvalidInput
from ..models.people import Person, ProjectScope, Role
from ..models.states import ProjectStatus, StageState
from .names import DI, PLANNER, ST, load_stage_names, named
from .queries import Timing, timing

if TYPE_CHECKING:
    from ..bootstrap import App
    from .unit_of_work import UnitOfWork

P, S = ProjectRow.__table__, StageRow.__table__
PP = ProjectPartyRow.__table__
#: the most projects one page of the portfolio lists (the API's ``limit``)
MAX_PAGE = 500


ProjectState = Literal["active", "completed", "overdue", "waiting", "paused", "suspended", "cancelled"]


class ProjectFilter(BaseModel):
    """What a coordinator narrows the portfolio by; every field optional."""

    q: str | None = None  # part of the name or community
    district: str | None = None
    street: str | None = None
    phase: str | None = None  # the phase of the stages in hand
    planner: str | None = None
    state: ProjectState | None = None


class CurrentStage(BaseModel):
    key: str
    name: str
    phase: str
    state: str
    waiting_for: str | None
    timing: Timing


class PortfolioRow(BaseModel):
    id: int
    name: str
    community: str
    district: str
    street: str
    planner: str
    district_id: str
    street_id: str
    planner_id: str
    status: str
    start_date: dt.date
    stages_approved: int
    stages_total: int
    current: list[CurrentStage]
    status_reason: str | None = None

    @property
    def overdue(self) -> bool:
        return any(s.timing.overdue for s in self.current)


def browse_projects(
    app: App, scope: ProjectScope | None, filters: ProjectFilter, *, limit: int = 50, offset: int = 0
) -> tuple[list[PortfolioRow], int]:
    """The projects in a person's scope (every project for the operator's CLI: None)
    that match, newest first; (page, total)."""
    with app.reader() as uow:
        return _browse(app, uow, scope, filters, limit=limit, offset=offset)


def _browse(
    app: App,
    uow: UnitOfWork,
    scope: ProjectScope | None,
    filters: ProjectFilter,
    *,
    limit: int,
    offset: int,
) -> tuple[list[PortfolioRow], int]:
    """:func:`browse_projects` in a reader's unit of work: one statement for the
    page, its names, its stages in hand, its stage counts and the total."""
    page = _portfolio_page(app, uow, scope, filters, limit, offset)
    cancelled = ProjectStatus.CANCELLED.value
    out = []
    for p in page.projects:
        approved, count = page.counts.get(p.id, (0, 0))
        out.append(
            PortfolioRow(
                id=p.id,
                name=p.name,
                community=p.community,
                district=p.district_name if p.district_name is not None else p.district_id,
                street=p.street_name if p.street_name is not None else p.street_id,
                planner=named(p.planner_name, p.planner_id),
                district_id=p.district_id,
                street_id=p.street_id,
                planner_id=p.planner_id,
                status=p.status,
                status_reason=p.status_reason,
                start_date=p.start_date,
                stages_approved=approved,
                stages_total=count,
                current=[
                    CurrentStage(
                        key=s.key,
                        name=page.stage_names.get((p.template_pk, s.key), s.key),
                        phase=s.phase,
                        state=s.state,
                        waiting_for=s.waiting_for,
                        timing=timing(
                            s.state if p.status != cancelled else "cancelled",
                            s.due_date,
                            s.due_provisional,
                            s.paused_since is not None,
                            page.today,
                            page.calendar,
                        ),
                    )
                    for s in page.current.get(p.id, [])
                ],
            )
        )
    return out, page.total


def portfolio_records(
    app: App, scope: ProjectScope | None, filters: ProjectFilter, *, limit: int = 50, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """As :func:`browse_projects`, each project already as its JSON record (what
    ``PortfolioRow.model_dump(mode="json")`` gives, key for key), built from the plain
    rows without a model per project, stage and timing: ``project list --json`` of a
    whole city."""
    with app.reader() as uow:
        page = _portfolio_page(app, uow, scope, filters, limit, offset)
    timings: dict[tuple[Any, ...], dict[str, Any]] = {}
    in_progress = StageState.IN_PROGRESS.value
    cancelled = ProjectStatus.CANCELLED.value
    out = []
    for p in page.projects:
        approved, count = page.counts.get(p.id, (0, 0))
        current = []
        for s in page.current.get(p.id, []):
            paused = s.paused_since is not None
            state = s.state if p.status != cancelled else "cancelled"
            key = (state == in_progress, state == "cancelled", s.due_date, bool(s.due_provisional), paused)
            record = timings.get(key)
            if record is None:
                record = timings[key] = timing(
                    state, s.due_date, s.due_provisional, paused, page.today, page.calendar
                ).model_dump(mode="json")
            current.append(
                {
                    "key": s.key,
                    "name": page.stage_names.get((p.template_pk, s.key), s.key),
                    "phase": s.phase,
                    "state": s.state,
                    "waiting_for": s.waiting_for,
                    "timing": dict(record),
                }
            )
        out.append(
            {
                "id": p.id,
                "name": p.name,
                "community": p.community,
                "district": p.district_name if p.district_name is not None else p.district_id,
                "street": p.street_name if p.street_name is not None else p.street_id,
                "planner": named(p.planner_name, p.planner_id),
                "district_id": p.district_id,
                "street_id": p.street_id,
                "planner_id": p.planner_id,
                "status": p.status,
                "start_date": p.start_date.isoformat(),
                "stages_approved": approved,
                "stages_total": count,
                "current": current,
                "status_reason": p.status_reason,
            }
        )
    return out, page.total


@dataclass
class _PortfolioPage:
    projects: list[Any]
    total: int
    counts: dict[int, tuple[int, int]] = field(default_factory=dict)
    current: dict[int, list[Any]] = field(default_factory=dict)
    stage_names: dict[tuple[int, str], str] = field(default_factory=dict)
    today: dt.date | None = None
    calendar: Any = None


_OPEN_STATES = (StageState.IN_PROGRESS.value, StageState.SUBMITTED.value)
# the portfolio's statement per shape (which scope, which filters): built once, its
# values bound at each call — building a statement this size cost more CPU than
# PostgreSQL spends running it
_PORTFOLIO: dict[tuple[Any, ...], Any] = {}


def _portfolio_statement(shape: tuple[Any, ...]) -> Any:
    statement = _PORTFOLIO.get(shape)
    if statement is not None:
        return statement
    scoped, streets, planner, district, q, street, planner_filter, phase, state = shape
    param = bindparam
    conditions: list[Any] = []
    if scoped == "party":
        # a party sees the projects naming it, nothing else
        conditions.append(P.c.id.in_(select(PP.c.project_id).where(PP.c.person_id == param("scope_party"))))
    elif scoped:
        in_org = P.c.district_id == param("scope_district")
        if streets:
            in_org = and_(in_org, P.c.street_id.in_(param("scope_streets", expanding=True)))
        conditions.append(or_(in_org, P.c.planner_id == param("scope_planner")) if planner else in_org)
    if district:
        conditions.append(P.c.district_id == param("district"))
    if q:
        conditions.append(
            or_(P.c.name.like(param("like"), escape="\\"), P.c.community.like(param("like"), escape="\\"))
        )
    if street:
        conditions.append(P.c.street_id == param("street"))
    if planner_filter:
        conditions.append(P.c.planner_id == param("planner"))
    if phase:
        conditions.append(
            exists().where(S.c.project_id == P.c.id, S.c.state.in_(_OPEN_STATES), S.c.phase == param("phase"))
        )
    if state in ("active", "completed", "suspended", "cancelled"):
        conditions.append(P.c.status == param("status"))
    elif state == "overdue":
        conditions.append(P.c.status == ProjectStatus.ACTIVE.value)
        conditions.append(
            exists().where(
                S.c.project_id == P.c.id,
                S.c.state == StageState.IN_PROGRESS.value,
                S.c.paused_since.is_(None),
                S.c.due_date < param("today"),
            )
        )
    elif state == "waiting":
        conditions.append(P.c.status == ProjectStatus.ACTIVE.value)
        conditions.append(exists().where(S.c.project_id == P.c.id, S.c.state == StageState.SUBMITTED.value))
    elif state == "paused":
        conditions.append(P.c.status != ProjectStatus.CANCELLED.value)
        conditions.append(exists().where(S.c.project_id == P.c.id, S.c.paused_since.is_not(None)))
    where = and_(true(), *conditions)
    # the page, with the number of matching projects (counted before LIMIT)
    page = (
        select(
            P.c.id,
            P.c.name,
            P.c.community,
            P.c.district_id,
            P.c.street_id,
            P.c.planner_id,
            P.c.status,
            P.c.status_reason,
            P.c.start_date,
            P.c.template_pk,
            func.count().over().label("matching"),
        )
        .where(where)
        .order_by(P.c.id.desc())
        .limit(param("limit"))
        .offset(param("offset"))
        .cte("page")
    )
    # the page's stages numbered and counted per project: the ones in hand, and
    # the first one of each project (so that a finished project has its counts).
    # The stages are joined to the page by the stage table's own index and numbered
    # over the join: numbering them in a subquery joined to the page afterwards left
    # SQLite two unindexed results to match row by row (10,000 × 80,000: 40 s)
    per_project = {"partition_by": page.c.id}
    numbered = (
        select(
            page,
            S.c.key,
            S.c.phase,
            S.c.state,
            S.c.waiting_for,
            S.c.due_date,
            S.c.due_provisional,
            S.c.paused_since,
            S.c.position,
            func.count(S.c.id).over(**per_project).label("stages_total"),
            func.sum(case((S.c.state == StageState.APPROVED.value, 1), else_=0))
            .over(**per_project)
            .label("stages_approved"),
            func.row_number().over(order_by=S.c.position, **per_project).label("nth"),
        )
        .select_from(page.outerjoin(S, S.c.project_id == page.c.id))
        .subquery("numbered")
    )
    row = numbered.c
    statement = (
        select(
            *(row[c.name] for c in page.c),
            PLANNER.c.name.label("planner_name"),
            ST.c.name.label("street_name"),
            DI.c.name.label("district_name"),
            row.key,
            row.phase,
            row.state,
            row.waiting_for,
            row.due_date,
            row.due_provisional,
            row.paused_since,
            row.stages_total,
            row.stages_approved,
        )
        .where(or_(row.state.in_(_OPEN_STATES), row.nth == 1))
        .outerjoin(PLANNER, PLANNER.c.id == row.planner_id)
        .outerjoin(ST, ST.c.id == row.street_id)
        .outerjoin(DI, DI.c.id == row.district_id)
        .order_by(row.id.desc(), row.position)
    )
    count = select(func.count()).select_from(P).where(where)
    _PORTFOLIO[shape] = (statement, count)
    return statement, count


def _portfolio_page(
    app: App, uow: UnitOfWork, scope: ProjectScope | None, filters: ProjectFilter, limit: int, offset: int
) -> _PortfolioPage:
    """The plain rows of one page of the portfolio, in one statement: the projects
    with their names, their stage counts and their current (open) stages (and the
    stages' names, from the catalogue)."""
    if limit < 1:
        raise InvalidInput("limit must be at least 1, got {limit}", field="limit", limit=limit)
    if offset < 0:
        raise InvalidInput("offset must not be negative, got {offset}", field="offset", offset=offset)
    today = local_date(app.now())
    values: dict[str, Any] = {"limit": limit, "offset": offset}
    if scope is not None:
        values["scope_district"] = scope.district
        if scope.streets:
            values["scope_streets"] = list(scope.streets)
        if scope.planner is not None:
            values["scope_planner"] = scope.planner
        if scope.party is not None:
            values["scope_party"] = scope.party
    if filters.district:
        values["district"] = filters.district
    if filters.q:
        text = filters.q.strip()[:100]
        values["like"] = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    if filters.street:
        values["street"] = filters.street
    if filters.planner:
        values["planner"] = filters.planner
    if filters.phase:
        values["phase"] = filters.phase
    state = filters.state
    if state in ("active", "completed", "suspended", "cancelled"):
        values["status"] = state
    elif state == "overdue":
        values["today"] = today
    shape = (
        "party" if scope is not None and scope.party is not None else scope is not None,
        bool(scope and scope.streets),
        bool(scope and scope.planner is not None),
        bool(filters.district),
        bool(filters.q),
        bool(filters.street),
        bool(filters.planner),
        bool(filters.phase),
        state,
    )
    statement, count = _portfolio_statement(shape)
    rows = uow.session.execute(statement, values).all()
    if not rows:
        total = uow.session.scalar(count, values) if offset else 0
        return _PortfolioPage([], total or 0)
    projects: list[Any] = []
    counts: dict[int, tuple[int, int]] = {}
    current: dict[int, list[Any]] = {}
    for r in rows:
        if not projects or projects[-1].id != r.id:
            projects.append(r)
            counts[r.id] = (r.stages_approved or 0, r.stages_total or 0)
        if r.state in _OPEN_STATES:
            current.setdefault(r.id, []).append(r)
    stage_names = load_stage_names(app, uow, {p.template_pk for p in projects}, app.lang)
    return _PortfolioPage(projects, rows[0].matching, counts, current, stage_names, today, app.calendar)


class FilterChoices(BaseModel):
    streets: list[tuple[str, str]]
    planners: list[tuple[str, str]]
    phases: list[tuple[str, str]]


def filter_choices(app: App, person: Person) -> FilterChoices:
    """The streets and planners a person's scope covers, and the phases."""
    with app.reader() as uow:
        return _filter_choices(app, uow, person)


def portfolio(
    app: App, person: Person, filters: ProjectFilter, *, limit: int, offset: int
) -> tuple[list[PortfolioRow], int, FilterChoices]:
    """A coordinator's list: one page of their projects, the total, and what the
    filters offer — in one unit of work."""
    with app.reader() as uow:
        rows, total = _browse(app, uow, person.scope(), filters, limit=limit, offset=offset)
        return rows, total, _filter_choices(app, uow, person)


def _filter_choices(app: App, uow: UnitOfWork, person: Person) -> FilterChoices:
    scope = person.scope()
    streets = uow.session.execute(
        select(StreetRow.id, StreetRow.name)
        .where(
            StreetRow.district_id == scope.district,
            *([StreetRow.id.in_(scope.streets)] if scope.streets else []),
        )
        .order_by(StreetRow.id)
    ).all()
    planners = [
        (p.id, p.name)
        for p in uow.session.execute(
            select(PersonRow.id, PersonRow.name, PersonRow.streets)
            .where(PersonRow.role == Role.PLANNER.value, PersonRow.district_id == scope.district)
            .order_by(PersonRow.id)
        )
        if not scope.streets or set(p.streets or ()) & set(scope.streets)
    ]
    phases: dict[str, str] = {}
    for item in app.catalog.files():
        for phase in item.template.phases:
            phases.setdefault(
                phase.id, phase.name if app.lang == "zh" or not phase.name_en else phase.name_en
            )
    return FilterChoices(streets=[tuple(s) for s in streets], planners=planners, phases=list(phases.items()))
