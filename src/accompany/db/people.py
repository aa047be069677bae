"""The directory: people, districts with their streets, and teams (``models.people``).

Read by every command (the actor) and written by the directory's import; a person
read elsewhere with another table (an account, a delegation) is built by
:func:`person_from_row`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ..models.errors import InvalidInput, Localized, NotFound
from ..models.people import District, Person, Role, Street, Team
from .orm import DistrictRow, PersonRow, StreetRow, TeamRow


class PeopleRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, person_id: str) -> Person:
        row = self.session.connection().execute(_PERSON, {"person_id": person_id}).first()
        if row is None:
            raise NotFound(
                "unknown person '{person}'",
                person=person_id[:100],
            )
        return person_from_row(row)

    def resolve(self, text: str, *, field: str | None = None) -> Person:
        """A person by id, or by name when exactly one person has it (张磊); more than
        one is a clear refusal listing their ids."""
        row = self.session.connection().execute(_PERSON, {"person_id": text}).first()
        if row is not None:
            return person_from_row(row)
        named = list(self.session.scalars(select(PersonRow).where(PersonRow.name == text.strip())))
        if len(named) == 1:
            return person_from_row(named[0])
        if named:
            raise InvalidInput(
                "'{name}' names {count} people ({ids}): give the id",
                field=field,
                name=text[:60],
                count=len(named),
                ids=", ".join(sorted(r.id for r in named)),
            )
        raise NotFound(
            "unknown person '{person}'",
            field=field,
            person=text[:100],
        )

    def some(self, person_ids: Iterable[str]) -> list[Person]:
        wanted = sorted({p for p in person_ids if p})
        if not wanted:
            return []
        table = PersonRow.__table__
        return [person_from_row(r) for r in self.session.execute(select(table).where(table.c.id.in_(wanted)))]

    def planners_of(self, district: str, street: str) -> list[Person]:
        """The active planners who serve ``street`` of ``district`` (a project may be
        handed over to them)."""
        table = PersonRow.__table__
        rows = self.session.execute(
            select(table)
            .where(
                table.c.role == Role.PLANNER.value, table.c.district_id == district, table.c.active.is_(True)
            )
            .order_by(table.c.name, table.c.id)
        )
        return [p for p in map(person_from_row, rows) if p.covers_street(district, street)]

    def all(self) -> list[Person]:
        rows = self.session.scalars(select(PersonRow).order_by(PersonRow.role, PersonRow.id))
        return [person_from_row(r) for r in rows]

    def districts(self) -> list[District]:
        streets: dict[str, list[Street]] = {}
        for row in self.session.scalars(select(StreetRow).order_by(StreetRow.id)):
            streets.setdefault(row.district_id, []).append(Street(id=row.id, name=row.name))
        return [
            District(id=row.id, name=row.name, streets=tuple(streets.get(row.id, ())))
            for row in self.session.scalars(select(DistrictRow).order_by(DistrictRow.id))
        ]

    def resolve_district(self, text: str) -> District:
        for district in self.districts():
            if text in (district.id, district.name):
                return district
        raise NotFound("unknown district '{district}'", district=text[:100])

    def resolve_street(self, district: District, text: str, *, field: str | None = None) -> Street:
        for street in district.streets:
            if text in (street.id, street.name):
                return street
        # by their names (a person reads 太阳宫街道, never its id); either is accepted
        names = "、".join(s.name for s in district.streets) or "—"
        raise NotFound(
            "unknown street '{street}' in {district} (streets: {names})",
            field=field,
            street=text[:100],
            district=Localized(district.name),
            names=names,
        )

    def upsert_district(self, district: District) -> None:
        self.session.merge(DistrictRow(id=district.id, name=district.name))
        for street in district.streets:
            self.session.merge(StreetRow(id=street.id, district_id=district.id, name=street.name))

    def upsert_team(self, team: Team) -> None:
        self.session.merge(TeamRow(id=team.id, name=team.name))

    def team_names(self) -> dict[str, str]:
        """Team id → the name the directory gave it (teams it never named are absent)."""
        rows = self.session.execute(select(TeamRow.id, TeamRow.name).order_by(TeamRow.id))
        return {team_id: name for team_id, name in rows}

    def upsert(self, person: Person) -> str:
        """Insert or update; returns "added", "updated" or "unchanged"."""
        return self.upsert_with_changes(person)[0]

    def upsert_with_changes(self, person: Person) -> tuple[str, dict[str, list[Any]]]:
        """Insert or update; returns "added", "updated" or "unchanged" and, for an
        update, each changed field as [before, after]."""
        row = self.session.get(PersonRow, person.id)
        values = {
            "name": person.name,
            "role": person.role.value,
            "district_id": person.district,
            "streets": list(person.streets),
            "team": person.team,
            "active": person.active,
            "phone": person.phone,
        }
        if row is None:
            self.session.add(PersonRow(id=person.id, **values))
            return "added", {}
        changes = {k: [getattr(row, k), v] for k, v in values.items() if getattr(row, k) != v}
        if not changes:
            return "unchanged", {}
        for key, value in values.items():
            setattr(row, key, value)
        return "updated", changes

    def active_ids(self) -> set[str]:
        return set(self.session.scalars(select(PersonRow.id).where(PersonRow.active.is_(True))))

    def set_active(self, person_id: str, active: bool) -> bool:
        """Returns False when the person already was so."""
        row = self.session.get(PersonRow, person_id)
        if row is None:
            raise NotFound("unknown person '{person}'", person=person_id[:100])
        if row.active == active:
            return False
        row.active = active
        return True


def person_from_row(row: Any) -> Person:
    return Person(
        id=row.id,
        name=row.name,
        role=Role(row.role),
        district=row.district_id,
        streets=tuple(row.streets or ()),
        team=row.team,
        active=row.active,
        phone=row.phone,
    )


_PERSON = select(PersonRow.__table__).where(PersonRow.__table__.c.id == bindparam("person_id"))
