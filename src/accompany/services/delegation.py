"""Delegation (代理审批): name a substitute, end a delegation, list them; and how a
substitute's decision and the reminders use them (see ``models.delegation``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from ..db.orm import PersonRow
from ..models.delegation import (
    DELEGATED_ACTIONS,
    Delegation,
    acting_for,
    may_end_delegation,
    may_stand_in,
    new_delegation,
    with_substitutes,
)
from ..models.errors import AccompanyError, PermissionDenied
from ..models.events import Event, EventKind
from ..models.people import Person
from ..models.reminders import Intent
from ..models.rules import Action

if TYPE_CHECKING:
    from ..bootstrap import App
    from ..models.project import Project
    from .unit_of_work import UnitOfWork


class DelegationView(BaseModel):
    """One delegation as people read it."""

    model_config = ConfigDict(frozen=True)

    id: int
    delegator: str
    delegator_name: str
    substitute: str
    substitute_name: str
    starts_on: dt.date
    ends_on: dt.date
    reason: str | None
    created_by: str
    created_at: dt.datetime
    ended_at: dt.datetime | None
    ended_by: str | None
    status: str  # upcoming | in effect | over | ended


def _status(d: Delegation, now: dt.datetime) -> str:
    if d.ended_at is not None:
        return "ended"
    if d.in_effect(now):
        return "in effect"
    return "over" if d.is_over(now) else "upcoming"


def delegate(
    app: App,
    person: str,
    *,
    to: str,
    starts_on: dt.date,
    ends_on: dt.date,
    by: str,
    reason: str | None = None,
) -> int:
    """Name ``to`` as ``person``'s substitute from ``starts_on`` to ``ends_on``
    (Beijing dates, both included); returns the delegation's id."""
    now = app.acting_time().at
    with app.uow() as uow:
        delegator = uow.people.resolve(person, field="person")
        substitute = uow.people.resolve(to, field="to")
        actor = uow.people.resolve(by, field="by")
        existing = uow.delegations.of(delegator.id)
        delegation = new_delegation(
            delegator,
            substitute,
            starts_on=starts_on,
            ends_on=ends_on,
            by=actor,
            reason=reason,
            now=now,
            existing=existing,
            names={d.substitute: uow.people.get(d.substitute).name for d in existing},
        )
        delegation_id = uow.delegations.add(delegation)
        uow.events.append(
            None,
            [
                Event(
                    EventKind.DELEGATION_CREATED,
                    now,
                    actor.id,
                    data={
                        "delegation": delegation_id,
                        "person": delegator.id,
                        "substitute": substitute.id,
                        "from": starts_on.isoformat(),
                        "until": ends_on.isoformat(),
                        "reason": delegation.reason,
                    },
                )
            ],
        )
        uow.commit()
    return delegation_id


def end_delegation(app: App, delegation_id: int, *, by: str) -> Delegation:
    """End a delegation now (the delegator decides alone again)."""
    now = app.acting_time().at
    with app.uow() as uow:
        delegation = uow.delegations.get(delegation_id, lock=True)
        actor = uow.people.resolve(by, field="by")
        delegator = uow.people.get(delegation.delegator)
        may_end_delegation(delegation, actor, delegator, now)
        uow.delegations.end(delegation_id, actor.id, now)
        uow.events.append(
            None,
            [
                Event(
                    EventKind.DELEGATION_ENDED,
                    now,
                    actor.id,
                    data={
                        "delegation": delegation_id,
                        "person": delegation.delegator,
                        "substitute": delegation.substitute,
                    },
                )
            ],
        )
        uow.commit()
    return replace(delegation, ended_at=now, ended_by=actor.id)


def list_delegations(app: App, person: str | None = None) -> list[DelegationView]:
    """Every delegation (or one person's, given and received), newest first."""
    now = app.now()
    with app.reader() as uow:
        if person is not None:
            person = uow.people.resolve(person, field="person").id
        rows = uow.delegations.of(person) if person else uow.delegations.all()
        ids = {d.delegator for d in rows} | {d.substitute for d in rows}
        names = {p.id: p.name for p in uow.people.some(ids)}
    return [
        DelegationView(
            id=d.id or 0,
            delegator=d.delegator,
            delegator_name=names.get(d.delegator, d.delegator),
            substitute=d.substitute,
            substitute_name=names.get(d.substitute, d.substitute),
            starts_on=d.starts_on,
            ends_on=d.ends_on,
            reason=d.reason,
            created_by=d.created_by,
            created_at=d.created_at,
            ended_at=d.ended_at,
            ended_by=d.ended_by,
            status=_status(d, now),
        )
        for d in rows
    ]


def substitute_choices(app: App, person: Person) -> list[tuple[str, str]]:
    """Whom a person may name as their substitute (``substitute_fits``): the other
    active people of their role and district, by name."""
    with app.reader() as uow:
        rows = uow.session.execute(
            select(PersonRow.id, PersonRow.name)
            .where(
                PersonRow.role == person.role.value,
                PersonRow.district_id == person.district,
                PersonRow.active.is_(True),
                PersonRow.id != person.id,
            )
            .order_by(PersonRow.name, PersonRow.id)
        )
        return [(row.id, row.name) for row in rows]


# -- used by the commands and the sweep ------------------------------------------------------


def acting_person(
    uow: UnitOfWork, project: Project, key: str, actor: Person, action: Action, now: dt.datetime
) -> tuple[Person, Person | None]:
    """Who acts on a stage: the actor themself when they may; otherwise, for a
    decision a delegation covers, the actor in the place of a delegator who may
    (``(acting_for(actor, delegator), delegator)``, see :func:`standing_in`). When
    none fits, the actor (their own refusal is the one shown)."""
    found = standing_in(uow, project, key, actor, action, now)
    if found is None:
        return actor, None
    _, delegator = found
    return acting_for(actor, delegator), delegator


def standing_in(
    uow: UnitOfWork, project: Project, key: str, actor: Person, action: Action, now: dt.datetime
) -> tuple[Delegation, Person] | None:
    """The delegation under which ``actor`` takes ``action`` on the stage in a
    delegator's place, with that delegator; None when the actor acts as themself
    (they may, or the state refuses them in their own right) or no delegation in
    effect at ``now`` lets them."""
    if action not in DELEGATED_ACTIONS or not may_stand_in(actor):
        return None
    try:
        project.ensure_allowed(key, actor, action)
        return None
    except PermissionDenied:
        pass
    except AccompanyError:
        return None
    for delegation, delegator in uow.delegations.in_effect(now, substitute=actor.id):
        try:
            project.ensure_allowed(key, acting_for(actor, delegator), action)
        except PermissionDenied:
            continue
        except AccompanyError:
            pass  # allowed to decide; the state refuses it, in the delegator's place
        return delegation, delegator
    return None


def mark_on_behalf(events: Sequence[Event], actor: Person, delegator: Person | None) -> None:
    """Each event the substitute's decision recorded names the delegator too."""
    if delegator is None:
        return
    for event in events:
        if event.actor == actor.id:
            event.data["on_behalf_of"] = delegator.id


def reach_substitutes(uow: UnitOfWork, intents: list[Intent], now: dt.datetime) -> list[Intent]:
    """The notifications, with a copy to each substitute in effect at ``now``."""
    from sqlalchemy import select

    from ..db.orm import StreetRow

    pairs = uow.delegations.in_effect(now)
    if not pairs:
        return intents
    streets = dict(uow.session.execute(select(StreetRow.id, StreetRow.district_id)).all())
    return with_substitutes(intents, pairs, streets)


def delegators_of(uow: UnitOfWork, person: Person, now: dt.datetime) -> list[Person]:
    """Whoever ``person`` decides for under a delegation in effect at ``now``
    (代理审批); no lookup for people who cannot be substitutes."""
    if not may_stand_in(person):
        return []
    return [delegator for _, delegator in uow.delegations.in_effect(now, substitute=person.id)]
