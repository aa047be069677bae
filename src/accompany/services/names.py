"""The names a page shows instead of ids: of people, streets and districts (a page
asks only for the ids it shows), of a template's stages, and the directory's
tables a page's query joins for them.

Shared by every read model for people at work (see :mod:`.worklists`), so that a
person, a street or a stage reads the same on each page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy import select

from ..db.orm import DistrictRow, PersonRow, StreetRow

if TYPE_CHECKING:
    from ..bootstrap import App
    from .unit_of_work import UnitOfWork


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


def load_stage_names(
    app: App, uow: UnitOfWork, template_pks: Iterable[int], lang: str
) -> dict[tuple[int, str], str]:
    """The name of each stage of these templates in ``lang``, by (template pk, stage)."""
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
DELEGATOR = PersonRow.__table__.alias("delegator")  # whom a substitute decided for
ST = StreetRow.__table__
DI = DistrictRow.__table__


def named(name: str | None, person_id: str | None) -> str:
    """As :meth:`Names.person`: the name, else the id, and "" for no one."""
    if not person_id:
        return ""
    return name if name is not None else person_id
