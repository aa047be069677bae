"""Read models for people at work (the web app and the API): what waits for me, the
projects I may see, one project's page — always within the person's own scope, with
names rather than ids.

Written on SQLAlchemy Core with only the columns a page shows: "my work" of a street
office in a city of 10,000 projects is one indexed query, not a load of aggregates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import and_, bindparam, case, exists, func, or_, select, true

from ..db.orm import (
    ApprovalRow,
    AttachmentRow,
    DistrictRow,
    ExtensionRow,
    PersonRow,
    ProjectPartyRow,
    ProjectRow,
    StageRow,
    StreetRow,
)
from ..models.deadlines import local_date
from ..models.delegation import DELEGATED_ACTIONS, acting_for, may_stand_in
from ..models.errors import AccompanyError, InvalidInput, Localized, NotFound, PermissionDenied
from ..models.events import SYSTEM_ACTOR
from ..models.parties import parties_missing, parties_words
from ..models.people import ROLE_LABELS_EN, ROLE_LABELS_ZH, Person, ProjectScope, Role
from ..models.project import Project
from ..models.rules import PROJECT_RULES, STAGE_ACTIONS, Action
from ..models.states import ProjectStatus, StageState
from ..models.template import ApprovalLevel, JointStep, ProcessTemplate, StageSpec
from .comments import CommentsView, project_comments_in
from .consent import TallyView, project_tally
from .delegation import delegators_of, standing_in
from .needs_tally import NeedsBlock, project_needs
from .queries import (
    EventView,
    ProjectDetail,
    StageDetail,
    Timing,
    event_views,
    local,
    project_detail,
    timing,
    withdrawal_reasons,
)
from .satisfaction import CommentView, SurveyView, project_survey

if TYPE_CHECKING:
    from ..bootstrap import App
    from .unit_of_work import UnitOfWork

P, S = ProjectRow.__table__, StageRow.__table__
PP = ProjectPartyRow.__table__
MAX_PAGE = 500
RECENT_DECISIONS = dt.timedelta(days=30)


class Names(BaseModel):
    """Display names for the ids a page refers to."""

    people: dict[str, str] = {}
    streets: dict[str, str] = {}
    districts: dict[str, str] = {}

    def person(self, person_id: str | None) -> str:
        if not person_id:
            return ""
        return self.people.get(person_id, person_id)


def load_names(
    uow: UnitOfWork,
    person_ids: Iterable[str] = (),
    *,
    streets: Iterable[str] | None = None,
    districts: Iterable[str] | None = None,
) -> Names:
    """The names of these people, and of these streets and districts (None: all of
    them) — a page asks only for the ids it shows."""

    def some(table: Any, wanted: Iterable[str] | None) -> dict[str, str]:
        query = select(table.id, table.name)
        if wanted is not None:
            ids = {i for i in wanted if i}
            if not ids:
                return {}
            query = query.where(table.id.in_(ids))
        return dict(uow.session.execute(query).all())  # type: ignore[arg-type]

    return Names(
        people=some(PersonRow, person_ids),
        streets=some(StreetRow, streets),
        districts=some(DistrictRow, districts),
    )


def scope_condition(scope: ProjectScope) -> Any:
    """The SQL condition for the projects a scope covers (see ProjectScope)."""
    if scope.party is not None:
        return P.c.id.in_(select(PP.c.project_id).where(PP.c.person_id == scope.party))
    in_org = P.c.district_id == scope.district
    if scope.streets:
        in_org = and_(in_org, P.c.street_id.in_(scope.streets))
    if scope.planner is not None:
        return or_(in_org, P.c.planner_id == scope.planner)
    return in_org


def visible_project_ids(
    uow: UnitOfWork, person: Person, ids: Iterable[int], now: dt.datetime | None = None
) -> set[int]:
    """The projects of ``ids`` the person may see: their own scope and, at ``now``,
    the scope of whoever they decide for under a delegation."""
    wanted = list(ids)
    if not wanted:
        return set()
    condition = scope_condition(person.scope())
    if now is not None:
        delegators = delegators_of(uow, person, now)
        if delegators:
            condition = or_(condition, *(scope_condition(d.scope()) for d in delegators))
    return set(uow.session.scalars(select(P.c.id).where(P.c.id.in_(wanted), condition)))


def ensure_visible(uow: UnitOfWork, person: Person, project_id: int, now: dt.datetime | None = None) -> None:
    """A project outside the person's scope is "unknown", exactly like one that does
    not exist: its name and existence must not leak to another street."""
    if not visible_project_ids(uow, person, [project_id], now):
        raise NotFound("unknown project {project}", project=project_id)


# -- my work --------------------------------------------------------------------------------


class ReturnInfo(BaseModel):
    reason: str | None
    by: str
    at: dt.datetime


class WorkItem(BaseModel):
    project_id: int
    project: str
    community: str
    street: str
    planner: str
    stage: str
    stage_name: str
    phase: str
    state: str
    round: int
    timing: Timing
    waiting_for: str | None = None
    submitted_at: dt.datetime | None = None
    waiting_working_days: int | None = None
    returned: ReturnInfo | None = None
    #: planner: why the stage cannot be marked done now (the rule's words, e.g. its
    #: clock paused by the coordinator), or None when it can
    refused: str | None = None


class ExtensionItem(BaseModel):
    id: int
    project_id: int
    project: str
    stage: str
    stage_name: str
    requested_by: str
    requested_at: dt.datetime
    working_days: int
    reason: str
    status: str
    granted_days: int | None
    decided_by: str | None
    decided_at: dt.datetime | None
    comment: str | None
    withdrawn_why: str | None = None  # as ``queries.ExtensionView.withdrawn_why``
    street: str = ""  # where, as a to-do card says it (by name)
    community: str = ""


class StandIn(BaseModel):
    """What waits for someone a substitute decides for under a delegation (代理审批)."""

    delegator: str
    delegator_name: str
    until: dt.date
    to_decide: list[WorkItem] = []
    extension_requests: list[ExtensionItem] = []


class MyWork(BaseModel):
    role: str
    in_progress: list[WorkItem] = []  # planner: my stages to do, by deadline
    returned: list[WorkItem] = []  # planner: returned to me, with the reason
    submitted: list[WorkItem] = []  # planner: mine waiting for a decision
    to_decide: list[WorkItem] = []  # approvers: waiting for my level
    extension_requests: list[ExtensionItem] = []  # street office: waiting for me
    extension_decisions: list[ExtensionItem] = []  # planner: decided in the last 30 days, and open ones
    standing_in: list[StandIn] = []  # substitute: what waits for each person they decide for


def _stage_names(
    app: App, uow: UnitOfWork, template_pks: Iterable[int], lang: str
) -> dict[tuple[int, str], str]:
    names: dict[tuple[int, str], str] = {}
    for pk in set(template_pks):
        template = uow.templates.parsed_by_pk(pk, {})
        for spec in template.stages:
            names[(pk, spec.id)] = spec.label(lang)
    return names


# the names a page shows beside ids, joined into its query (None: not in the directory)
PLANNER = PersonRow.__table__.alias("planner")
REQUESTER = PersonRow.__table__.alias("requester")
DECIDER = PersonRow.__table__.alias("decider")
ST = StreetRow.__table__
DI = DistrictRow.__table__


def _named(name: str | None, person_id: str | None) -> str:
    """As :meth:`Names.person`: the name, else the id, and "" for no one."""
    if not person_id:
        return ""
    return name if name is not None else person_id


_WORK_COLUMNS = (
    P.c.id.label("project_id"),
    P.c.name.label("project"),
    P.c.community,
    P.c.street_id,
    P.c.planner_id,
    P.c.template_pk,
    S.c.id.label("stage_id"),
    S.c.key,
    S.c.phase,
    S.c.state,
    S.c.round,
    S.c.due_date,
    S.c.due_provisional,
    S.c.paused_since,
    S.c.waiting_for,
    S.c.submitted_at,
    PLANNER.c.name.label("planner_name"),
    ST.c.name.label("street_name"),
)


# "my work" statements, built once per shape (see _PORTFOLIO)
_WORK: dict[tuple[Any, ...], Any] = {}


def _work_statement(shape: tuple[Any, ...]) -> Any:
    statement = _WORK.get(shape)
    if statement is not None:
        return statement
    query = (
        select(*_WORK_COLUMNS)
        .join(S, S.c.project_id == P.c.id)
        .outerjoin(PLANNER, PLANNER.c.id == P.c.planner_id)
        .outerjoin(ST, ST.c.id == P.c.street_id)
    )
    if shape[0] == "planner":
        statement = query.where(
            P.c.status == ProjectStatus.ACTIVE.value,
            P.c.planner_id == bindparam("planner"),
            S.c.state.in_((StageState.IN_PROGRESS.value, StageState.SUBMITTED.value)),
        )
    elif shape[0] == "party":
        # done stages waiting for a joint step, on projects naming this person as the
        # party, that the party has not signed in the current round
        A = ApprovalRow.__table__
        statement = query.join(
            PP,
            and_(
                PP.c.project_id == P.c.id,
                PP.c.person_id == bindparam("party"),
                PP.c.role == bindparam("role"),
            ),
        ).where(
            P.c.status == ProjectStatus.ACTIVE.value,
            S.c.state == StageState.SUBMITTED.value,
            S.c.waiting_for.in_(("all", "any")),
            ~exists().where(
                A.c.stage_id == S.c.id,
                A.c.round == S.c.round,
                A.c.level == bindparam("role"),
                A.c.decision == "approved",
            ),
        )
    else:
        _, streets, planner = shape
        in_org = P.c.district_id == bindparam("scope_district")
        if streets:
            in_org = and_(in_org, P.c.street_id.in_(bindparam("scope_streets", expanding=True)))
        statement = query.where(
            P.c.status == ProjectStatus.ACTIVE.value,
            or_(in_org, P.c.planner_id == bindparam("scope_planner")) if planner else in_org,
            S.c.state == StageState.SUBMITTED.value,
            S.c.waiting_for == bindparam("level"),
        )
    _WORK[shape] = statement
    return statement


def my_work(app: App, person: Person) -> MyWork:
    """What waits for this person, by role; for a substitute, also what waits for
    whoever they decide for under a delegation in effect (代理审批)."""
    today = local_date(app.now())
    work = MyWork(role=person.role.value)
    with app.reader() as uow:
        if person.role is Role.PLANNER:
            rows = uow.session.execute(_work_statement(("planner",)), {"planner": person.id}).all()
        elif person.role in (Role.STREET_OFFICE, Role.DISTRICT):
            rows = _waiting_for(uow, person)
        elif person.is_party:
            rows = _awaiting_signature(uow, person)
        else:
            rows = []
        for item in _work_items(app, uow, rows, today):
            if person.role is Role.PLANNER:
                if item.state == StageState.SUBMITTED.value:
                    work.submitted.append(item)
                elif item.returned is not None:
                    work.returned.append(item)
                else:
                    work.in_progress.append(item)
            else:
                work.to_decide.append(item)
        if person.role is Role.PLANNER:
            _ask_the_rule(uow, person, [*work.in_progress, *work.returned], app.lang)
        work.in_progress.sort(key=_by_deadline)
        work.returned.sort(key=_by_deadline)
        work.submitted.sort(key=_by_submission)
        work.to_decide.sort(key=_by_submission)
        if person.role is Role.STREET_OFFICE:
            work.extension_requests = _extensions(
                app,
                uow,
                scope_condition(person.scope()),
                _DECIDABLE_EXTENSION,
                lang=app.lang,
            )
        elif person.role is Role.PLANNER:
            since = app.now() - RECENT_DECISIONS
            work.extension_decisions = _extensions(
                app,
                uow,
                ExtensionRow.requested_by == person.id,
                or_(ExtensionRow.status == "requested", ExtensionRow.decided_at >= since),
                lang=app.lang,
            )
        work.standing_in = _standing_in(app, uow, person, work, today)
    return work


def _ask_the_rule(uow: UnitOfWork, planner: Person, items: list[WorkItem], lang: str) -> None:
    """Mark each stage the rule does not let the planner mark done now with the rule's
    own words, as the stage form would refuse it (the same rule the project page asks)."""
    from ..i18n import error_text

    projects: dict[int, Project] = {}
    for item in items:
        project = projects.get(item.project_id)
        if project is None:
            project = projects[item.project_id] = uow.projects.get(item.project_id)
        refusal = _stage_refusal(project, item.stage, [planner], Action.COMPLETE)
        item.refused = error_text(refusal, lang) if refusal is not None else None


#: the extension requests a street office has to decide: waiting, on a stage whose
#: clock runs (one left waiting on a stage done or approved before submissions
#: withdrew them is not decided: see ``rules.ExtensionClockRuns``), of an active project
_DECIDABLE_EXTENSION = and_(
    ExtensionRow.status == "requested",
    S.c.state == StageState.IN_PROGRESS.value,
    P.c.status == ProjectStatus.ACTIVE.value,
)


def _waiting_for(uow: UnitOfWork, approver: Person) -> list[Any]:
    """The submissions waiting for ``approver``'s level within their scope."""
    scope = approver.scope()
    level = ApprovalLevel.STREET_OFFICE if approver.role is Role.STREET_OFFICE else ApprovalLevel.DISTRICT
    values: dict[str, Any] = {"scope_district": scope.district, "level": level.value}
    if scope.streets:
        values["scope_streets"] = list(scope.streets)
    if scope.planner is not None:
        values["scope_planner"] = scope.planner
    shape = ("approver", bool(scope.streets), scope.planner is not None)
    return list(uow.session.execute(_work_statement(shape), values).all())


def _awaiting_signature(uow: UnitOfWork, party: Person) -> list[Any]:
    """The done stages whose current joint step (会签/或签) waits for this party's
    signature on the projects naming them."""
    rows = uow.session.execute(
        _work_statement(("party",)), {"party": party.id, "role": party.role.value}
    ).all()
    waiting = []
    for r in rows:
        step = uow.templates.parsed_by_pk(r.template_pk, {}).stage(r.key).approval
        if any(isinstance(s, JointStep) and party.role.value in s.parties for s in step):
            waiting.append(r)
    return waiting


def _work_items(app: App, uow: UnitOfWork, rows: list[Any], today: dt.date) -> list[WorkItem]:
    calendar = app.calendar
    returned = _last_returns(uow, [r.stage_id for r in rows if r.round > 1])
    stage_names = _stage_names(app, uow, {r.template_pk for r in rows}, app.lang)
    items = []
    for r in rows:
        item = WorkItem(
            project_id=r.project_id,
            project=r.project,
            community=r.community,
            street=r.street_name if r.street_name is not None else r.street_id,
            planner=_named(r.planner_name, r.planner_id),
            stage=r.key,
            stage_name=stage_names.get((r.template_pk, r.key), r.key),
            phase=r.phase,
            state=r.state,
            round=r.round,
            timing=timing(
                r.state, r.due_date, r.due_provisional, r.paused_since is not None, today, calendar
            ),
            waiting_for=r.waiting_for,
            submitted_at=local(r.submitted_at),
            waiting_working_days=(
                calendar.working_days_late(local_date(r.submitted_at), today).days if r.submitted_at else None
            ),
        )
        back = returned.get(r.stage_id)
        if back is not None and r.state == StageState.IN_PROGRESS.value:
            item.returned = ReturnInfo(
                reason=back.comment, by=_named(back.by_name, back.by), at=local(back.decided_at)
            )
        items.append(item)
    return items


def _standing_in(app: App, uow: UnitOfWork, person: Person, work: MyWork, today: dt.date) -> list[StandIn]:
    """Per delegator the substitute decides for today: the submissions waiting for
    the delegator's level in the delegator's scope (less what the substitute sees as
    their own already), and, for a street office, its open extension requests."""
    if not may_stand_in(person):
        return []
    own = {(i.project_id, i.stage) for i in work.to_decide} | {
        (x.project_id, x.stage) for x in work.extension_requests
    }
    out = []
    for delegation, delegator in uow.delegations.in_effect(app.now(), substitute=person.id):
        to_decide = [
            i
            for i in _work_items(app, uow, _waiting_for(uow, delegator), today)
            if (i.project_id, i.stage) not in own
        ]
        to_decide.sort(key=_by_submission)
        extensions = []
        if delegator.role is Role.STREET_OFFICE:
            extensions = [
                x
                for x in _extensions(
                    app,
                    uow,
                    scope_condition(delegator.scope()),
                    _DECIDABLE_EXTENSION,
                    lang=app.lang,
                )
                if (x.project_id, x.stage) not in own
            ]
        out.append(
            StandIn(
                delegator=delegator.id,
                delegator_name=delegator.name,
                until=delegation.ends_on,
                to_decide=to_decide,
                extension_requests=extensions,
            )
        )
    return out


def _by_submission(item: WorkItem) -> dt.datetime:
    return item.submitted_at or dt.datetime.max.replace(tzinfo=dt.UTC)


def _by_deadline(item: WorkItem) -> tuple[int, dt.date]:
    due = item.timing.due or dt.date.max
    return (0 if item.timing.overdue else 1, due)


def _last_returns(uow: UnitOfWork, stage_ids: list[int]) -> dict[int, Any]:
    """The latest return of each stage (the reason a planner must act on)."""
    if not stage_ids:
        return {}
    latest = (
        select(func.max(ApprovalRow.id))
        .where(ApprovalRow.stage_id.in_(stage_ids), ApprovalRow.decision == "returned")
        .group_by(ApprovalRow.stage_id)
    )
    rows = uow.session.execute(
        select(
            ApprovalRow.stage_id,
            ApprovalRow.comment,
            ApprovalRow.decided_by.label("by"),
            ApprovalRow.decided_at,
            DECIDER.c.name.label("by_name"),
        )
        .outerjoin(DECIDER, DECIDER.c.id == ApprovalRow.decided_by)
        .where(ApprovalRow.id.in_(latest))
    ).all()
    return {r.stage_id: r for r in rows}


def _extensions(app: App, uow: UnitOfWork, where: Any, status: Any, lang: str) -> list[ExtensionItem]:
    X = ExtensionRow
    rows = uow.session.execute(
        select(
            X.id,
            X.requested_by,
            X.requested_at,
            X.working_days,
            X.reason,
            X.status,
            X.granted_days,
            X.decided_by,
            X.decided_at,
            X.comment,
            S.c.key,
            P.c.id.label("project_id"),
            P.c.name.label("project"),
            P.c.template_pk,
            REQUESTER.c.name.label("requested_by_name"),
            DECIDER.c.name.label("decided_by_name"),
            P.c.street_id,
            P.c.community,
            ST.c.name.label("street_name"),
        )
        .join(S, S.c.id == X.stage_id)
        .join(P, P.c.id == S.c.project_id)
        .outerjoin(ST, ST.c.id == P.c.street_id)
        .outerjoin(REQUESTER, REQUESTER.c.id == X.requested_by)
        .outerjoin(DECIDER, DECIDER.c.id == X.decided_by)
        .where(where, status)
        .order_by(X.requested_at)
    ).all()
    stage_names = _stage_names(app, uow, {r.template_pk for r in rows}, lang)
    reasons = {
        project_id: withdrawal_reasons(uow, project_id)
        for project_id in {r.project_id for r in rows if r.status in ("withdrawn", "lapsed")}
    }
    return [
        ExtensionItem(
            id=r.id,
            project_id=r.project_id,
            project=r.project,
            stage=r.key,
            stage_name=stage_names.get((r.template_pk, r.key), r.key),
            requested_by=_named(r.requested_by_name, r.requested_by),
            requested_at=local(r.requested_at),
            working_days=r.working_days,
            reason=r.reason,
            status=r.status,
            granted_days=r.granted_days,
            decided_by=_named(r.decided_by_name, r.decided_by) if r.decided_by else None,
            decided_at=local(r.decided_at),
            comment=r.comment,
            withdrawn_why=reasons.get(r.project_id, {}).get((r.key, local(r.decided_at))),
            street=r.street_name if r.street_name is not None else r.street_id,
            community=r.community,
        )
        for r in rows
    ]


# -- the portfolio ---------------------------------------------------------------------------

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
                planner=_named(p.planner_name, p.planner_id),
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
                "planner": _named(p.planner_name, p.planner_id),
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
    stage_names = _stage_names(app, uow, {p.template_pk for p in projects}, app.lang)
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


# -- one project -----------------------------------------------------------------------------


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
            if _stage_refusal(project, key, acting, action) is None:
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


def stage_form(app: App, person: Person, project_id: int, stage: str) -> StageForm:
    with app.reader() as uow:
        now = app.now()
        ensure_visible(uow, person, project_id, now)
        project = uow.projects.get(project_id)
        spec = project.template.stage(stage)  # NotFound names the template's stages
        view = _view(app, uow, person, project, with_events=False)
        deciding_for = None
        if "approve" in view.actions.get(spec.id, []):
            found = standing_in(uow, project, spec.id, person, Action.APPROVE, now)
            if found is not None:
                delegation, delegator = found
                deciding_for = DecidingFor(
                    delegator=delegator.id,
                    delegator_name=delegator.name,
                    role=delegator.role.value,
                    until=delegation.ends_on,
                )
    detail = next(s for s in view.detail.stages if s.key == spec.id)
    return StageForm(view=view, stage=detail, spec=spec, deciding_for=deciding_for)


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
    return _stage_refusal(project, key, acting, action)


def _stage_refusal(project: Project, key: str, acting: list[Person], action: Action) -> AccompanyError | None:
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


# -- a district's quarter at a glance ----------------------------------------------------------


class StreetFigures(BaseModel):
    street: str
    street_name: str
    stages_due: int
    closed_on_time: int
    on_time_rate: float | None
    overdue_now: int


class OverdueItem(BaseModel):
    project_id: int
    project: str
    street: str
    planner: str
    stage_name: str
    due: dt.date
    working_days_overdue: int


class QuarterOverview(BaseModel):
    quarter: str
    cutoff: dt.datetime
    scope_name: str
    on_time_rate: float | None
    stages_due: int
    overdue_now: int
    streets: list[StreetFigures]
    worst: list[OverdueItem]


def ensure_may_see_reports(person: Person) -> None:
    """A party sees the projects it is on, not the reports of a street or district."""
    if person.is_party:
        raise PermissionDenied(
            "{person} is a {role}: reports are for the planning organisation",
            person=person.name,
            role=Localized(ROLE_LABELS_ZH[person.role], ROLE_LABELS_EN[person.role]),
        )


def report_street(app: App, person: Person, street: str | None) -> str | None:
    """The street a person's report is about: the one asked for if it is in their
    scope, their own if they act for one street, None for a whole district. A street
    of another district is "unknown", like a project; another street of their own
    district is refused by its name — a street office knows its neighbours, and "no
    such street" would be untrue."""
    scope = person.scope()
    ensure_may_see_reports(person)
    if street is None:
        return scope.streets[0] if scope.streets else None
    with app.reader() as uow:
        district = uow.session.scalar(select(StreetRow.district_id).where(StreetRow.id == street))
        if district != scope.district:
            raise NotFound("unknown street '{street}'", street=street[:64])
        if scope.streets and street not in scope.streets:
            names = dict(
                uow.session.execute(
                    select(StreetRow.id, StreetRow.name).where(StreetRow.id.in_([street, *scope.streets]))
                ).all()
            )
            raise PermissionDenied(
                "you may only see the reports of {own}, not of {street}",
                field="street",
                own=Localized(
                    "、".join(names.get(s, s) for s in scope.streets),
                    ", ".join(names.get(s, s) for s in scope.streets),
                ),
                street=names.get(street, street),
            )
    return street


# The figures a district's page shows, per (district, street, quarter, language,
# today): they change only when something is recorded about a project of that
# district (a lifecycle event: what the quarterly report replays), when the people
# or the calendar change (names, working days), or when the day changes (overdue
# counts) — not at every event anywhere in the city, nor at a sign-in.
# key → [the newest event id looked at, the overview]
_OVERVIEWS: dict[tuple[str, str | None, str, str, dt.date], list[Any]] = {}
#: events about no project that change what the figures show
_DIRECTORY_KINDS = ("people.loaded", "person.deactivated", "person.activated", "calendar.changed")


def _overview_changed(uow: UnitOfWork, district: str, since: int, upto: int) -> bool:
    """Whether an event in ``(since, upto]`` changes the figures of ``district`` (a
    range scan over the new events only)."""
    from ..db.orm import EventRow
    from .reports import LIFECYCLE_KINDS

    E = EventRow.__table__
    in_district = and_(
        # what the report replays, and a project's new name (the worst items name it)
        E.c.kind.in_((*LIFECYCLE_KINDS, "project.edited")),
        E.c.project_id.in_(select(P.c.id).where(P.c.district_id == district).scalar_subquery()),
    )
    query = (
        select(E.c.id)
        .where(E.c.id > since, E.c.id <= upto, or_(E.c.kind.in_(_DIRECTORY_KINDS), in_district))
        .limit(1)
    )
    return uow.session.scalar(query) is not None


def quarter_overview(
    app: App, person: Person, *, street: str | None = None, quarter: str | None = None
) -> QuarterOverview:
    """On-time rate and overdue count per street for this quarter (or ``quarter``),
    and the worst overdue items, from the same event-log replay as the quarterly
    report, for the person's district (or one street of their scope). Built once and
    kept until something changes them (see ``_OVERVIEWS``)."""
    ensure_may_see_reports(person)
    from ..db.orm import EventRow
    from ..models.report import Quarter
    from .reports import quarterly_report

    scope = person.scope()
    street = report_street(app, person, street)
    today = local_date(app.now())
    period = Quarter.parse(quarter) if quarter else Quarter.containing(today)
    key = (scope.district, street, period.label, app.lang, today)
    cached = _OVERVIEWS.get(key)
    with app.single_read() as uow:
        latest = uow.session.scalar(select(func.max(EventRow.id))) or 0
        if cached is not None and (
            cached[0] == latest or not _overview_changed(uow, scope.district, cached[0], latest)
        ):
            cached[0] = max(cached[0], latest)
            return cached[1]  # type: ignore[no-any-return]
    report = quarterly_report(app, period, district=scope.district, street=street)
    with app.reader() as uow:
        project_ids = {item["project_id"] for item in report.worst_overdue[:10]}
        rows = uow.session.execute(
            select(P.c.id, P.c.template_pk, P.c.planner_id).where(P.c.id.in_(project_ids))
        ).all()
        names = load_names(uow, {r.planner_id for r in rows})
        stage_names = _stage_names(app, uow, {r.template_pk for r in rows}, app.lang)
    templates = {r.id: r.template_pk for r in rows}
    planners = {r.id: r.planner_id for r in rows}
    overview = QuarterOverview(
        quarter=period.label,
        cutoff=report.cutoff,
        scope_name=names.streets.get(street, street)
        if street
        else names.districts.get(scope.district, scope.district),
        on_time_rate=report.summary.get("on_time_rate"),
        stages_due=report.summary.get("stages_due", 0),
        overdue_now=report.summary.get("overdue_now", 0),
        streets=[
            StreetFigures(
                street=row["key"],
                street_name=names.streets.get(row["key"], row["key"]),
                stages_due=row["stages_due"],
                closed_on_time=row["stages_closed_on_time"],
                on_time_rate=row["on_time_rate"],
                overdue_now=row["overdue_now"],
            )
            for row in report.rows
            if row["level"] == "street"
        ],
        worst=[
            OverdueItem(
                project_id=item["project_id"],
                project=item["project"],
                street=names.streets.get(item["street"], item["street"]),
                planner=names.person(planners.get(item["project_id"], item["planner"])),
                stage_name=stage_names.get(
                    (templates.get(item["project_id"], 0), item["stage"]), item["stage"]
                ),
                due=item["due"],
                working_days_overdue=item["working_days_overdue"],
            )
            for item in report.worst_overdue[:10]
        ],
    )
    for stale in [k for k in _OVERVIEWS if k[4] != today]:
        _OVERVIEWS.pop(stale, None)  # figures of another day: never asked for again
    _OVERVIEWS[key] = [latest, overview]
    return overview
