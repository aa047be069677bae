"""What waits for a person at work ("my work"), by role: a planner's stages to do,
returned and submitted, an approver's submissions at their level, a party's joint
steps to sign, the extension requests, and — for a substitute — what waits for
whoever they decide for under a delegation (代理审批).

Written on SQLAlchemy Core with only the columns the page shows: "my work" of a
street office in a city of 10,000 projects is one indexed query, not a load of
aggregates. Part of the pages' read models (see :mod:`.worklists`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy import and_, bindparam, exists, func, or_, select

from ..db.orm import ApprovalRow, EventRow, ExtensionRow, ProjectPartyRow, ProjectRow, StageRow
from ..models.deadlines import local_date
from ..models.delegation import may_stand_in
from ..models.people import Person, Role
from ..models.project import Project
from ..models.rules import Action
from ..models.states import ProjectStatus, StageState
from ..models.template import ApprovalLevel, JointStep
from .names import DECIDER, DELEGATOR, PLANNER, REQUESTER, ST, load_stage_names, named
from .project_view import stage_refusal
from .queries import Timing, local, timing, withdrawal_reasons
from .scope import scope_condition

if TYPE_CHECKING:
    from ..bootstrap import App
    from .unit_of_work import UnitOfWork

P, S = ProjectRow.__table__, StageRow.__table__
PP = ProjectPartyRow.__table__
#: how far back a planner's work lists the extension requests decided
RECENT_DECISIONS = dt.timedelta(days=30)


class ReturnInfo(BaseModel):
    reason: str | None
    by: str
    at: dt.datetime
    # a substitute's return (代理审批): whom she returned it for
    on_behalf_of_name: str | None = None


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


# "my work" statements, built once per shape (see portfolio._PORTFOLIO)
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
        refusal = stage_refusal(project, item.stage, [planner], Action.COMPLETE)
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
    passed_on = _passed_to_district(uow, [r for r in rows if r.waiting_for == "district"])
    stage_names = load_stage_names(app, uow, {r.template_pk for r in rows}, app.lang)
    items = []
    for r in rows:
        # the district waits from the street office's approval, not from the submission
        waiting_since = passed_on.get(r.stage_id, r.submitted_at)
        item = WorkItem(
            project_id=r.project_id,
            project=r.project,
            community=r.community,
            street=r.street_name if r.street_name is not None else r.street_id,
            planner=named(r.planner_name, r.planner_id),
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
                calendar.working_days_late(local_date(waiting_since), today).days if waiting_since else None
            ),
        )
        back = returned.get(r.stage_id)
        if back is not None and r.state == StageState.IN_PROGRESS.value:
            item.returned = ReturnInfo(
                reason=back.comment,
                by=named(back.by_name, back.by),
                at=local(back.decided_at),
                on_behalf_of_name=back.on_behalf_of_name,
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


def _passed_to_district(uow: UnitOfWork, rows: list[Any]) -> dict[int, dt.datetime]:
    """When each stage waiting for the district was passed on to it: the street
    office's approval in the stage's current round."""
    if not rows:
        return {}
    rounds = {r.stage_id: r.round for r in rows}
    found = uow.session.execute(
        select(ApprovalRow.stage_id, ApprovalRow.round, func.max(ApprovalRow.decided_at))
        .where(
            ApprovalRow.stage_id.in_(list(rounds)),
            ApprovalRow.level == "street-office",
            ApprovalRow.decision == "approved",
        )
        .group_by(ApprovalRow.stage_id, ApprovalRow.round)
    ).all()
    return {stage_id: at for stage_id, round_, at in found if rounds.get(stage_id) == round_}


def _last_returns(uow: UnitOfWork, stage_ids: list[int]) -> dict[int, Any]:
    """The latest return of each stage (the reason a planner must act on), with whom
    a substitute returned it for: its ``stage.returned`` event's ``on_behalf_of``
    (the approvals table keeps only who decided), found by the project, who decided
    and when, as ``queries.decided_on_behalf`` does."""
    if not stage_ids:
        return {}
    latest = (
        select(func.max(ApprovalRow.id))
        .where(ApprovalRow.stage_id.in_(stage_ids), ApprovalRow.decision == "returned")
        .group_by(ApprovalRow.stage_id)
    )
    behalf = (
        select(EventRow.data["on_behalf_of"].as_string())
        .where(
            EventRow.kind == "stage.returned",
            EventRow.project_id == StageRow.project_id,
            EventRow.actor == ApprovalRow.decided_by,
            EventRow.occurred_at == ApprovalRow.decided_at,
        )
        .limit(1)
        .scalar_subquery()
    )
    rows = uow.session.execute(
        select(
            ApprovalRow.stage_id,
            ApprovalRow.comment,
            ApprovalRow.decided_by.label("by"),
            ApprovalRow.decided_at,
            DECIDER.c.name.label("by_name"),
            DELEGATOR.c.name.label("on_behalf_of_name"),
        )
        .join(StageRow, StageRow.id == ApprovalRow.stage_id)
        .outerjoin(DECIDER, DECIDER.c.id == ApprovalRow.decided_by)
        .outerjoin(DELEGATOR, DELEGATOR.c.id == behalf)
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
    stage_names = load_stage_names(app, uow, {r.template_pk for r in rows}, lang)
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
            requested_by=named(r.requested_by_name, r.requested_by),
            requested_at=local(r.requested_at),
            working_days=r.working_days,
            reason=r.reason,
            status=r.status,
            granted_days=r.granted_days,
            decided_by=named(r.decided_by_name, r.decided_by) if r.decided_by else None,
            decided_at=local(r.decided_at),
            comment=r.comment,
            withdrawn_why=reasons.get(r.project_id, {}).get((r.key, local(r.decided_at))),
            street=r.street_name if r.street_name is not None else r.street_id,
            community=r.community,
        )
        for r in rows
    ]
