"""People and the organisation they belong to (district → street)."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from .text import has_control_characters

SLUG = r"^[a-z0-9][a-z0-9-]*$"


def _printable(value: str) -> str:
    """A name people read: not blank, no control characters (a NUL is refused by
    PostgreSQL and would be kept by SQLite; an escape sequence would reach terminals)."""
    if not value.strip():
        raise ValueError("is blank")
    if has_control_characters(value):
        raise ValueError("contains control characters")
    return value


# the name columns hold 200 characters on both databases
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_printable)]


class Role(StrEnum):
    COORDINATOR = "coordinator"
    PLANNER = "planner"
    STREET_OFFICE = "street-office"
    DISTRICT = "district"


ROLE_LABELS_ZH = {
    Role.COORDINATOR: "协调人",
    Role.PLANNER: "责任规划师",
    Role.STREET_OFFICE: "街道办事处",
    Role.DISTRICT: "区规划分局",
}
ROLE_LABELS_EN = {
    Role.COORDINATOR: "coordinator",
    Role.PLANNER: "responsible planner",
    Role.STREET_OFFICE: "street office",
    Role.DISTRICT: "district planning branch",
}


class Street(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=SLUG)
    name: Name


class District(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=SLUG)
    name: Name
    streets: tuple[Street, ...] = ()


class Person(BaseModel):
    """Someone who acts in the process. A street-office or coordinator person with
    no streets listed acts for the whole district."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=SLUG)
    name: Name
    role: Role
    district: str = Field(pattern=SLUG)
    streets: tuple[str, ...] = ()
    team: str | None = Field(default=None, pattern=SLUG)
    active: bool = True

    @field_validator("streets", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return (value,) if isinstance(value, str) else value

    def covers_street(self, district: str, street: str) -> bool:
        """True when this person acts for ``street`` of ``district``."""
        if self.district != district:
            return False
        return not self.streets or street in self.streets

    @property
    def label(self) -> str:
        return f"{self.name} ({self.id})"

    def scope(self) -> ProjectScope:
        """The projects this person may see (see :class:`ProjectScope`)."""
        return ProjectScope(
            district=self.district,
            streets=self.streets,
            planner=self.id if self.role is Role.PLANNER else None,
        )


class ProjectScope(BaseModel):
    """Which projects a person may see: those of their district — only of the listed
    streets when ``streets`` is not empty — and, for a planner, also every project
    they are the planner of (a planner who moved streets still sees their projects).

    People see their own organisation's projects and nothing else: another street's
    project is "not found" to them, never "forbidden", so its existence and name do
    not leak."""

    model_config = ConfigDict(frozen=True)

    district: str
    streets: tuple[str, ...] = ()
    planner: str | None = None

    def covers(self, district: str, street: str, planner_id: str | None = None) -> bool:
        if self.planner is not None and planner_id == self.planner:
            return True
        return district == self.district and (not self.streets or street in self.streets)


class Directory(BaseModel):
    """The people directory file: the organisation and the people in it."""

    model_config = ConfigDict(extra="forbid")

    districts: tuple[District, ...] = Field(min_length=1)
    people: tuple[Person, ...] = ()

    @model_validator(mode="after")
    def _references_resolve(self) -> Directory:
        districts = {d.id: d for d in self.districts}
        if len(districts) != len(self.districts):
            raise ValueError("district ids must be unique")
        street_ids = [s.id for d in self.districts for s in d.streets]
        if len(set(street_ids)) != len(street_ids):
            raise ValueError("street ids must be unique across districts")
        seen: set[str] = set()
        for index, person in enumerate(self.people):
            where = f"people[{index}] ({person.id})"
            if person.id in seen:
                raise ValueError(f"{where}: duplicate person id")
            seen.add(person.id)
            district = districts.get(person.district)
            if district is None:
                raise ValueError(f"{where}: unknown district {person.district!r}")
            known = {s.id for s in district.streets}
            for street in person.streets:
                if street not in known:
                    raise ValueError(f"{where}: street {street!r} is not in district {person.district!r}")
            if person.role is Role.PLANNER and not person.streets:
                raise ValueError(f"{where}: a planner must list the street(s) they serve")
        return self


def slug_tag(value: str) -> str:
    """A notification tag made from an id: lower case, letters, digits and dashes."""
    return re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-")
