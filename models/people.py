"""People and the organisation they belong to (district → street)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from .errors import N_, Problem
from .text import has_control_characters
from .validation import InvalidValue

SLUG = r"^[a-z0-9][a-z0-9-]*$"


def _printable(value: str) -> str:
    """A name people read: not blank, no control characters (a NUL is refused by
    PostgreSQL and would be kept by SQLite; an escape sequence would reach terminals)."""
    if not value.strip():
        raise InvalidValue(N_("is blank"))
    if has_control_characters(value):
        raise InvalidValue(N_("contains control characters"))
    return value


# the name columns hold 200 characters on both databases, the id columns 64
MAX_NAME = 200
MAX_ID = 64
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME), AfterValidator(_printable)]

#: a work phone: digits, spaces, dashes, brackets, a leading + (010-6512 3456)
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]*$")
MAX_PHONE = 40


def work_phone(value: object) -> str | None:
    """A person's work phone as the directory gives it: a telephone number of 5 to 20
    digits, or none (an empty value removes it). Residents see it masked."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    digits = re.sub(r"\D", "", text)
    if len(text) > MAX_PHONE or not _PHONE.match(text) or not 5 <= len(digits) <= 20:
        # the number itself is not repeated: error messages end up in logs
        raise InvalidValue(N_("is not a telephone number (digits only, like 13812345678 or 010-65123456)"))
    return text


class Role(StrEnum):
    COORDINATOR = "coordinator"
    PLANNER = "planner"
    STREET_OFFICE = "street-office"
    DISTRICT = "district"
    # the parties of a project (see PARTY_ROLES): they see the projects they are on
    # and sign where the template names them, nothing else
    COMMUNITY_COMMITTEE = "community-committee"
    OWNERS_COMMITTEE = "owners-committee"
    PROPERTY_MANAGER = "property-manager"
    DEVELOPER = "developer"
    DESIGN = "design"
    CONSTRUCTION = "construction"
    SUPERVISION = "supervision"
    EXPERT = "expert"


#: parties tied to a street: the directory lists the street(s) they serve, and a
#: project of that street takes its one active party of the role when none is named
STREET_PARTIES = frozenset({Role.COMMUNITY_COMMITTEE, Role.OWNERS_COMMITTEE, Role.PROPERTY_MANAGER})
#: parties named on projects (a project's parties list: ``--party design=ID``)
PROJECT_PARTIES = frozenset({Role.DEVELOPER, Role.DESIGN, Role.CONSTRUCTION, Role.SUPERVISION, Role.EXPERT})
PARTY_ROLES = STREET_PARTIES | PROJECT_PARTIES

ROLE_LABELS_ZH = {
    Role.COORDINATOR: "协调人",
    Role.PLANNER: "责任规划师",
    Role.STREET_OFFICE: "街道办事处",
    Role.DISTRICT: "区规划分局",
    Role.COMMUNITY_COMMITTEE: "社区居委会",
    Role.OWNERS_COMMITTEE: "业委会/物管会",
    Role.PROPERTY_MANAGER: "物业",
    Role.DEVELOPER: "建设单位",
    Role.DESIGN: "设计单位",
    Role.CONSTRUCTION: "施工单位",
    Role.SUPERVISION: "监理单位",
    Role.EXPERT: "专家",
}
ROLE_LABELS_EN = {
    Role.COORDINATOR: "coordinator",
    Role.PLANNER: "responsible planner",
    Role.STREET_OFFICE: "street office",
    Role.DISTRICT: "district planning branch",
    Role.COMMUNITY_COMMITTEE: "community committee",
    Role.OWNERS_COMMITTEE: "owners' committee",
    Role.PROPERTY_MANAGER: "property manager",
    Role.DEVELOPER: "developer",
    Role.DESIGN: "design institute",
    Role.CONSTRUCTION: "construction company",
    Role.SUPERVISION: "supervision",
    Role.EXPERT: "expert",
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


class Team(BaseModel):
    """A planners' team (责任规划师团队) the directory names: the report shows its
    name where it would show the id a planner's ``team:`` gives."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=SLUG, max_length=MAX_ID)
    name: Name


def team_problems(raw: object) -> tuple[Problem, ...]:
    """What is wrong with a directory's ``teams:`` section as the file gives it, in
    the catalogue's words (the edge words them in the reader's language); none for a
    good one or none at all (older directories have no teams). A planner's team the
    section leaves out stays allowed: it is shown by its id."""
    if raw is None:
        return ()
    if not isinstance(raw, list | tuple):
        return (Problem("teams", N_("teams: expected a list of teams, each with an id and a name"), {}),)
    problems: list[Problem] = []
    seen: set[str] = set()

    def refuse(field: str, template: str, where: str, **values: object) -> None:
        problems.append(Problem(field, template, {"where": where, **values}))

    for index, entry in enumerate(raw):
        field = where = f"teams[{index}]"
        if not isinstance(entry, dict):
            refuse(field, N_("{where}: expected a team with an id and a name"), where)
            continue
        team_id = entry.get("id")
        if not isinstance(team_id, str) or len(team_id) > MAX_ID or not re.fullmatch(SLUG, team_id):
            template = N_(
                "{where}: the id is missing or not like tsinghua-tyg (lower-case letters, digits, dashes)"
            )
            refuse(f"{field}.id", template, where)
        else:
            where = f"{field} ({team_id})"
            if team_id in seen:
                refuse(f"{field}.id", N_("{where}: this team id is listed twice"), where)
            seen.add(team_id)
        for key in entry:
            if key not in Team.model_fields:
                refuse(
                    field,
                    N_("{where}: unknown key '{key}' (a team has an id and a name)"),
                    where,
                    key=str(key)[:40],
                )
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            refuse(f"{field}.name", N_("{where}: the team's name is missing"), where)
        elif len(name) > MAX_NAME:
            refuse(
                f"{field}.name",
                N_("{where}: the team's name is longer than {max} characters"),
                where,
                max=MAX_NAME,
            )
        elif has_control_characters(name):
            refuse(f"{field}.name", N_("{where}: the team's name contains control characters"), where)
    return tuple(problems)


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
    # a work phone residents may call, shown masked (138****5678) on every page
    phone: str | None = None

    @field_validator("phone", mode="before")
    @classmethod
    def _phone(cls, value: object) -> str | None:
        return work_phone(value)

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

    @property
    def is_party(self) -> bool:
        """A party of projects (community committee, design institute …), not a
        member of the planning organisation."""
        return self.role in PARTY_ROLES

    def scope(self) -> ProjectScope:
        """The projects this person may see (see :class:`ProjectScope`)."""
        if self.is_party:
            return ProjectScope(district=self.district, party=self.id)
        return ProjectScope(
            district=self.district,
            streets=self.streets,
            planner=self.id if self.role is Role.PLANNER else None,
        )


class ProjectScope(BaseModel):
    """Which projects a person may see: those of their district — only of the listed
    streets when ``streets`` is not empty — and, for a planner, also every project
    they are the planner of (a planner who moved streets still sees their projects).
    A party (``party``: their id) sees only the projects they are named on.

    People see their own organisation's projects and nothing else: another street's
    project is "not found" to them, never "forbidden", so its existence and name do
    not leak."""

    model_config = ConfigDict(frozen=True)

    district: str
    streets: tuple[str, ...] = ()
    planner: str | None = None
    party: str | None = None

    def covers(
        self, district: str, street: str, planner_id: str | None = None, parties: Iterable[str] = ()
    ) -> bool:
        if self.party is not None:
            return self.party in set(parties)
        if self.planner is not None and planner_id == self.planner:
            return True
        return district == self.district and (not self.streets or street in self.streets)


class Directory(BaseModel):
    """The people directory file: the organisation, the planners' teams it names and
    the people in it."""

    model_config = ConfigDict(extra="forbid")

    districts: tuple[District, ...] = Field(min_length=1)
    teams: tuple[Team, ...] = ()
    people: tuple[Person, ...] = ()

    @field_validator("teams", mode="before")
    @classmethod
    def _teams(cls, value: object) -> object:
        # the same rules the file's reader words in the reader's language (read_directory)
        if isinstance(value, list | tuple):  # teams built in code are checked like the file's
            value = [t.model_dump() if isinstance(t, Team) else t for t in value]
        problems = team_problems(value)
        if problems:
            raise ValueError("; ".join(map(str, problems)))
        return value

    @model_validator(mode="after")
    def _references_resolve(self) -> Directory:
        districts = {d.id: d for d in self.districts}
        if len(districts) != len(self.districts):
            raise InvalidValue(N_("district ids must be unique"))
        street_ids = [s.id for d in self.districts for s in d.streets]
        if len(set(street_ids)) != len(street_ids):
            raise InvalidValue(N_("street ids must be unique across districts"))
        seen: set[str] = set()
        for index, person in enumerate(self.people):
            where = f"people[{index}] ({person.id})"
            if person.id in seen:
                raise InvalidValue(N_("{where}: duplicate person id"), where=where)
            seen.add(person.id)
            district = districts.get(person.district)
            if district is None:
                raise InvalidValue(
                    N_("{where}: unknown district '{district}'"), where=where, district=person.district
                )
            known = {s.id for s in district.streets}
            for street in person.streets:
                if street not in known:
                    raise InvalidValue(
                        N_("{where}: street '{street}' is not in district '{district}'"),
                        where=where,
                        street=street,
                        district=person.district,
                    )
            if person.role is Role.PLANNER and not person.streets:
                raise InvalidValue(N_("{where}: a planner must list the street(s) they serve"), where=where)
            if person.role in STREET_PARTIES and not person.streets:
                raise InvalidValue(
                    N_("{where}: a {role} must list the street(s) it serves"),
                    where=where,
                    role=person.role.value,
                )
        return self


def slug_tag(value: str) -> str:
    """A notification tag made from an id: lower case, letters, digits and dashes."""
    return re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-")
