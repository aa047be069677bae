"""Commands on a project's parties (design institute, construction company,
community committee …): who they are when a project starts, and the coordinator's
edits of the list (``accompany project parties``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from contextlib import suppress
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field
from sqlalchemy import select

from ..db.orm import PersonRow
from ..db.people import person_from_row
from ..models.errors import NotFound
from ..models.events import Event
from ..models.parties import parse_party_assignment
from ..models.people import PARTY_ROLES, STREET_PARTIES, Person
from ..models.project import Project
from ..models.rules import Action
from ..models.text import has_control_characters
from .commands import Command, Outcome, _on_project

if TYPE_CHECKING:
    from ..bootstrap import App
    from .unit_of_work import UnitOfWork


class SetParties(Command):
    project_id: int
    by: str
    # party role → person id (or name), as ``--set design=ID`` gives them
    parties: dict[str, str] = Field(default_factory=dict)
    # party roles taken off the list (``--remove design``)
    removed: list[str] = Field(default_factory=list)


def parse_assignments(texts: list[str]) -> dict[str, str]:
    """``["design=li", …]`` as typed: role → person; a role given twice is the last."""
    return dict(parse_party_assignment(text) for text in texts)


def named_parties(uow: UnitOfWork, given: Mapping[str, str]) -> dict[str, Person | None]:
    """The people named as parties; ``None`` for one missing from the directory (the
    domain refuses it, naming the party)."""
    named: dict[str, Person | None] = {}
    for role, text in given.items():
        if has_control_characters(text) or len(text) > 200:
            named[role] = None  # no person's id or name holds these (PostgreSQL refuses a NUL)
            continue
        try:
            named[role] = uow.people.resolve(text, field=f"party.{role}")
        except NotFound:
            named[role] = None
    return named


def street_parties(uow: UnitOfWork, district: str) -> list[Person]:
    """The active street parties (community committees, owners' committees, property
    managers) of a district: a project of their street takes them when none is named."""
    rows = uow.session.scalars(
        select(PersonRow).where(
            PersonRow.district_id == district,
            PersonRow.role.in_([r.value for r in STREET_PARTIES]),
            PersonRow.active.is_(True),
        )
    )
    return [person_from_row(r) for r in rows]


class PartySlot(BaseModel):
    """One party the project's template needs, as the parties form shows it."""

    role: str
    # the first stage whose approval needs this party (zh, en)
    stage_name: str
    stage_name_en: str
    person: str | None
    choices: list[tuple[str, str]]


def party_slots(app: App, project_id: int) -> list[PartySlot]:
    """The parties the project's template needs, who holds each now, and whom the
    coordinator may pick (the active people of that role in the project's district)."""
    with app.reader() as uow:
        project = uow.projects.get(project_id)
        choices = _choices_in(uow, project.district)
        return [
            PartySlot(
                role=role.value,
                stage_name=spec.name,
                stage_name_en=spec.name_en or spec.name,
                person=project.parties.get(role.value),
                choices=choices.get(role.value, []),
            )
            for role, spec in project.template.party_roles().items()
        ]


def party_choices(app: App, person: Person) -> dict[str, list[tuple[str, str]]]:
    """Who a coordinator may pick for each party role when starting a project: the
    active party people of their district, by name (the form offers names, and sends
    the person's id)."""
    with app.reader() as uow:
        return _choices_in(uow, person.district)


def _choices_in(uow: UnitOfWork, district: str) -> dict[str, list[tuple[str, str]]]:
    rows = uow.session.execute(
        select(PersonRow.id, PersonRow.name, PersonRow.role)
        .where(
            PersonRow.district_id == district,
            PersonRow.role.in_([r.value for r in PARTY_ROLES]),
            PersonRow.active.is_(True),
        )
        .order_by(PersonRow.name, PersonRow.id)
    )
    choices: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        choices.setdefault(row.role, []).append((row.id, row.name))
    return choices


def set_parties(app: App, cmd: SetParties) -> Outcome:
    """The coordinator names, replaces or removes parties on a project's parties list."""

    def act(project: Project, actor: Person, uow: UnitOfWork, now: dt.datetime) -> list[Event]:
        names = {}
        for person_id in project.parties.values():
            with suppress(NotFound):  # one who left the directory: the history shows the id
                names[person_id] = uow.people.get(person_id).name
        return project.set_parties(
            actor, named_parties(uow, cmd.parties), removed=cmd.removed, names=names, now=now
        )

    return _on_project(app, cmd, Action.EDIT, act)
