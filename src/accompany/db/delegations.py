"""The delegation table (``models.delegation``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..models.deadlines import local_date
from ..models.delegation import Delegation
from ..models.errors import NotFound
from ..models.people import Person
from .orm import DelegationRow, PersonRow
from .people import person_from_row


def delegation_from_row(row: Any) -> Delegation:
    return Delegation(
        id=row.id,
        delegator=row.delegator_id,
        substitute=row.substitute_id,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        reason=row.reason,
        created_by=row.created_by,
        created_at=row.created_at,
        ended_at=row.ended_at,
        ended_by=row.ended_by,
    )


class DelegationRepository:
    def __init__(self, session: Session, *, days_without_delegations: set[dt.date] | None = None):
        self.session = session
        # the Beijing dates no delegation covers, as this transaction read them along
        # with a project (``ProjectRepository.get_with_actor``): nothing to look up
        self.days_without_delegations = (
            days_without_delegations if days_without_delegations is not None else set()
        )

    def add(self, delegation: Delegation) -> int:
        row = DelegationRow(
            delegator_id=delegation.delegator,
            substitute_id=delegation.substitute,
            starts_on=delegation.starts_on,
            ends_on=delegation.ends_on,
            reason=delegation.reason,
            created_by=delegation.created_by,
            created_at=delegation.created_at,
        )
        self.session.add(row)
        self.session.flush()
        self.days_without_delegations.clear()
        return row.id

    def get(self, delegation_id: int, *, lock: bool = False) -> Delegation:
        query = select(DelegationRow).where(DelegationRow.id == delegation_id)
        if lock:
            query = query.with_for_update()
        row = self.session.scalar(query)
        if row is None:
            raise NotFound("no delegation #{id}", field="id", id=delegation_id)
        return delegation_from_row(row)

    def end(self, delegation_id: int, by: str, now: dt.datetime) -> None:
        row = self.session.get(DelegationRow, delegation_id)
        assert row is not None
        row.ended_at = now
        row.ended_by = by
        self.session.flush()

    def of(self, person_id: str) -> list[Delegation]:
        """The person's delegations, given and received, newest first."""
        rows = self.session.scalars(
            select(DelegationRow)
            .where(or_(DelegationRow.delegator_id == person_id, DelegationRow.substitute_id == person_id))
            .order_by(DelegationRow.starts_on.desc(), DelegationRow.id.desc())
        )
        return [delegation_from_row(r) for r in rows]

    def all(self) -> list[Delegation]:
        rows = self.session.scalars(
            select(DelegationRow).order_by(DelegationRow.starts_on.desc(), DelegationRow.id.desc())
        )
        return [delegation_from_row(r) for r in rows]

    def in_effect(
        self, moment: dt.datetime, substitute: str | None = None
    ) -> list[tuple[Delegation, Person]]:
        """The delegations holding at ``moment``, each with its delegator."""
        day = local_date(moment)
        if day in self.days_without_delegations:
            return []
        query = (
            select(DelegationRow, PersonRow)
            .join(PersonRow, PersonRow.id == DelegationRow.delegator_id)
            .where(DelegationRow.starts_on <= day, DelegationRow.ends_on >= day)
            .order_by(DelegationRow.id)
        )
        if substitute is not None:
            query = query.where(DelegationRow.substitute_id == substitute)
        out = []
        for row, person in self.session.execute(query).all():
            delegation = delegation_from_row(row)
            if delegation.in_effect(moment):
                out.append((delegation, person_from_row(person)))
        return out
