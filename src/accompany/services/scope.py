"""Which projects a person may see: their own scope and, under a delegation in
effect, the scope of whoever they decide for — as SQL conditions and checks.

Shared by every read model for people at work (see :mod:`.worklists`) and by the
services that answer on a project (comments, needs, files): outside the scope, a
project reads exactly like one that does not exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select

from ..db.orm import ProjectPartyRow, ProjectRow
from ..models.errors import NotFound
from ..models.people import Person, ProjectScope
from .delegation import delegators_of

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork

P = ProjectRow.__table__
PP = ProjectPartyRow.__table__


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
