"""Repositories: translate between the ORM rows and the pure domain objects."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections import namedtuple
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

from sqlalchemy import (
    Date,
    String,
    Text,
    bindparam,
    cast,
    delete,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from ..models import chain
from ..models.deadlines import Deadline, local_date
from ..models.errors import Conflict, InvalidInput, Localized, NotFound
from ..models.events import SYSTEM_ACTOR, Event
from ..models.people import District, Person, Role, Street, Team
from ..models.project import Project
from ..models.stage import ApprovalRecord, Attachment, ClockPause, ExtensionRequest, Stage
from ..models.states import ProjectStatus, StageState
from ..models.template import ApprovalLevel, PartyRole, ProcessTemplate, build_template
from .orm import (
    ApprovalRow,
    AttachmentRow,
    ClockPauseRow,
    DelegationRow,
    DistrictRow,
    EventRow,
    ExtensionRow,
    PersonRow,
    ProjectPartyRow,
    ProjectRow,
    StageRow,
    StreetRow,
    TeamRow,
    TemplateRow,
)

if TYPE_CHECKING:
    from ..clock import Clock

# Templates are immutable once stored, so a parsed snapshot can be shared by every
# command of the process (pydantic validation of a whole template is not free). Keyed
# by the database too: a snapshot's pk names another template in another database (a
# process that opens several, like the demo and the test suite — each test its own
# SQLite file or PostgreSQL schema, so its own URL).
_TEMPLATE_CACHE: dict[tuple[str, int, str], ProcessTemplate] = {}


def template_checksum(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


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


class TemplateRepository:
    def __init__(self, session: Session):
        self.session = session

    def snapshot(self, body: dict[str, Any], now: dt.datetime) -> TemplateRow:
        """The stored snapshot of this template version, stored now if it is new.
        A version already stored with different content is refused: running
        projects must keep the exact template they started with."""
        checksum = template_checksum(body)
        row = self.session.scalar(
            select(TemplateRow).where(
                TemplateRow.template_id == body["id"], TemplateRow.version == body["version"]
            )
        )
        if row is None:
            row = TemplateRow(
                template_id=body["id"],
                version=body["version"],
                checksum=checksum,
                body=body,
                created_at=now,
            )
            self.session.add(row)
            self.session.flush()
        elif row.checksum != checksum:
            raise Conflict(
                "template {template} was changed after projects started with it; give the changed file "
                "a new version number",
                template=f"{body['id']}@{body['version']}",
            )
        return row

    def _database(self) -> str:
        """The database the snapshots are read from (the cache's first key)."""
        bind = self.session.get_bind()
        return bind.url.render_as_string(hide_password=True) if hasattr(bind, "url") else str(id(bind))

    def parsed(self, row: TemplateRow, params: dict[str, Any]) -> ProcessTemplate:
        key = (self._database(), row.pk, json.dumps(params, sort_keys=True, default=str))
        template = _TEMPLATE_CACHE.get(key)
        if template is None:
            template = build_template(row.body, params, source=f"template {row.template_id}@{row.version}")
            _TEMPLATE_CACHE[key] = template
        return template

    def parsed_by_pk(self, pk: int, params: dict[str, Any]) -> ProcessTemplate:
        """Like :meth:`parsed`, reading the snapshot row only when not cached yet."""
        template = _TEMPLATE_CACHE.get(
            (self._database(), pk, json.dumps(params, sort_keys=True, default=str))
        )
        if template is not None:
            return template
        row = self.session.get(TemplateRow, pk)
        if row is None:
            raise NotFound("unknown template snapshot {pk}", pk=pk)
        return self.parsed(row, params)


class ProjectRepository:
    """Loads and saves whole project aggregates.

    Written on SQLAlchemy Core rather than the ORM: a command loads one project
    (project, stages, their approvals, pauses, extensions, attachments — six small
    queries) and writes back only what it touched, and the ORM's identity map and
    unit-of-work bookkeeping cost more than the queries themselves on this path."""

    def __init__(
        self, session: Session, *, lock: bool = False, days_without_delegations: set[dt.date] | None = None
    ):
        self.session = session
        self.templates = TemplateRepository(session)
        self.lock = lock
        # project id → (project version, {stage key: (stage id, version)})
        self._versions: dict[int, tuple[int, dict[str, tuple[int, int]]]] = {}
        # people's names read along with a project (its planner, coordinator, the
        # actor and the system's events' actor; None: no such person): the
        # notifications of the command name them without another query
        self.names: dict[str, str | None] = {}
        # (project id, stage key) → the moment of the stage's last event, read with
        # the stages by a writing unit of work (the time rules need it)
        self._last_events: dict[tuple[int, str], dt.datetime | None] = {}
        # the Beijing dates no delegation covers, as read with a project's stages (shared
        # with the unit of work's DelegationRepository: no lookup of the substitutes
        # then, the usual case)
        self.days_without_delegations = (
            days_without_delegations if days_without_delegations is not None else set()
        )

    def find_duplicate(self, name: str, street: str, start: dt.date) -> int | None:
        """The id of a project with exactly this name, street and start, if any."""
        return self.session.scalar(
            select(P.c.id).where(P.c.name == name, P.c.street_id == street, P.c.start_date == start).limit(1)
        )

    def get_with_actor(
        self, project_id: int, person_id: str, *, at: dt.datetime | None = None
    ) -> tuple[Project, Person]:
        """The project (as :meth:`get`) and the person acting on it; the person is read
        in the statement that locks the project, saving a round trip per command.
        With ``at`` (the command's moment), whether any delegation covers its Beijing
        date is read with the stages (see :attr:`days_without_delegations`)."""
        connection = self.session.connection()
        query = _PROJECT_AND_ACTOR_FOR_UPDATE if self.lock else _PROJECT_AND_ACTOR
        row = _first(connection, query, {"project_id": project_id, "person_id": person_id})
        if row is None or row.a_id is None:
            # not a person's id: their name? (an unknown person is named before the project)
            person = PeopleRepository(self.session).resolve(person_id, field="by")
            if row is None:
                raise NotFound("unknown project {project}", project=project_id)
            row = _first(connection, query, {"project_id": project_id, "person_id": person.id})
        actor = Person(
            id=row.a_id,
            name=row.a_name,
            role=Role(row.a_role),
            district=row.a_district_id,
            streets=tuple(row.a_streets or ()),
            team=row.a_team,
            active=row.a_active,
        )
        for person_id, name in (
            (SYSTEM_ACTOR, row.system_name),
            (row.planner_id, row.planner_name),
            (row.coordinator_id, row.coordinator_name),
            (actor.id, actor.name),
        ):
            if person_id is not None:
                self.names[person_id] = name
        day = local_date(at) if at is not None and self.lock else None
        return self._assemble(connection, row, day), actor

    def last_event_at(self, project_id: int, stage_key: str) -> tuple[bool, dt.datetime | None]:
        """(known, moment): the moment of the stage's last event when it was read with
        the project's stages in this unit of work."""
        key = (project_id, stage_key)
        if key in self._last_events:
            return True, self._last_events[key]
        return False, None

    def get(self, project_id: int) -> Project:
        """Load a whole project. A writing unit of work first locks the project row
        (SELECT … FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already holds
        the write lock), so the stages, approvals and pauses read next are one
        consistent picture and two commands on one project run one after the other.
        The stage version check on write stays as a second guard."""
        connection = self.session.connection()
        # Lock first, in a statement of its own: on PostgreSQL a statement reads from
        # the snapshot it started with, so stages read in the locking statement could
        # predate the command that held the lock.
        query = _PROJECT_FOR_UPDATE if self.lock else _PROJECT
        row = connection.execute(query, {"project_id": project_id}).first()
        if row is None:
            raise NotFound("unknown project {project}", project=project_id)
        return self._assemble(connection, row)

    def _assemble(self, connection: Any, row: Any, day: dt.date | None = None) -> Project:
        template = self.templates.parsed_by_pk(row.template_pk, row.params or {})
        project = Project(
            id=row.id,
            name=row.name,
            district=row.district_id,
            street=row.street_id,
            community=row.community,
            planner_id=row.planner_id,
            coordinator_id=row.coordinator_id,
            template=template,
            params=dict(row.params or {}),
            start_date=row.start_date,
            created_at=row.created_at,
            status=ProjectStatus(row.status),
            completed_at=row.completed_at,
            status_reason=row.status_reason,
            status_since=row.status_since,
            status_by=row.status_by,
            street_name=row.street_name,
            district_name=row.district_name,
        )
        values: dict[str, Any] = {"project_id": row.id}
        if self.lock:
            statement = _STAGES_FOR_WRITE[connection.dialect.name, day is not None]
            if day is not None:
                values["day"] = day
        else:
            statement = _STAGES[connection.dialect.name]
        stage_rows = (
            _all(connection, statement, values) if self.lock else connection.execute(statement, values).all()
        )
        if stage_rows:
            # the parties came with the stages (the same value on every row)
            parties = stage_rows[0].parties
            project.parties = json.loads(parties) if parties else {}
            if day is not None and not stage_rows[0].delegations_on_day:
                self.days_without_delegations.add(day)
        else:
            project.parties = {
                r.role: r.person_id for r in connection.execute(_PARTIES, {"project_id": row.id})
            }
        versions = {}
        for stage_row in stage_rows:
            stage = _stage(stage_row, template, _children(stage_row))
            project.stages[stage.key] = stage
            versions[stage.key] = (stage_row.s_id, stage_row.s_version)
            if self.lock:
                self._last_events[row.id, stage.key] = stage_row.last_event_at
        self._versions[row.id] = (row.version, versions)
        return project

    def add(self, project: Project, template_row: TemplateRow) -> int:
        return self.add_many([(project, template_row.pk)])[0]

    def add_many(self, projects: Sequence[tuple[Project, int]]) -> list[int]:
        """Insert new projects (each with its template snapshot's pk) and their stages:
        one executemany for the projects, one for all their stages (a bulk import
        writes thousands at once); returns the new ids in the given order."""
        if not projects:
            return []
        connection = self.session.connection()
        project_rows = [
            {
                "name": project.name,
                "district_id": project.district,
                "street_id": project.street,
                "community": project.community,
                "planner_id": project.planner_id,
                "coordinator_id": project.coordinator_id,
                "template_pk": template_pk,
                "params": project.params,
                "start_date": project.start_date,
                "status": project.status.value,
                "created_at": project.created_at,
                "completed_at": project.completed_at,
                "version": 1,
            }
            for project, template_pk in projects
        ]
        ids = connection.execute(_INSERT_PROJECT, project_rows).scalars().all()
        stage_rows = []
        for (project, _), project_id in zip(projects, ids, strict=True):
            project.id = project_id
            stage_rows += [
                {
                    **stage_values(stage),
                    "project_id": project_id,
                    "key": stage.key,
                    "position": stage.position,
                    "phase": project.template.stage(stage.key).phase,
                    "version": 1,
                }
                for stage in project.stages.values()
            ]
        stage_ids: dict[tuple[int, str], int] = {}
        if len(projects) == 1 and stage_rows:
            # one project (a command's start): its stages in one statement with RETURNING
            stage_ids = {
                (ids[0], r.key): r.id for r in connection.execute(_INSERT_STAGES_RETURNING, stage_rows)
            }
        elif stage_rows:
            # many (an import): a plain executemany, the ids read back in one query —
            # with RETURNING, psycopg parses one huge multi-row statement, slower than
            # writing the rows themselves
            connection.execute(_INSERT_STAGES, stage_rows)
            stage_ids = {
                (r.project_id, r.key): r.id
                for r in connection.execute(
                    select(S.c.id, S.c.project_id, S.c.key).where(S.c.project_id.in_(ids))
                )
            }
        party_rows = [
            {"project_id": project.id, "role": role, "person_id": person}
            for project, _ in projects
            for role, person in project.parties.items()
        ]
        if party_rows:
            connection.execute(insert(PP), party_rows)
        for project, _ in projects:
            project.parties_touched = False
            versions = {key: (stage_ids[project.id, key], 1) for key in project.stages}  # type: ignore[index]
            self._versions[project.id] = (1, versions)  # type: ignore[index]
            for stage in project.stages.values():
                self._write_children(connection, stage, versions[stage.key][0])
            project.touched.clear()
            project.project_touched = False
        return list(ids)

    def save(self, project: Project) -> None:
        """Write the touched stages back, each with a version check: a stage another
        command changed since it was read is a conflict (optimistic concurrency)."""
        assert project.id is not None
        connection = self.session.connection()
        project_version, versions = self._versions[project.id]
        touched = [(key, project.stages[key], *versions[key]) for key in sorted(project.touched)]
        if touched:
            # one executemany for all touched stages; always UPDATE a touched stage,
            # even when only child rows changed (an approval at the first of two
            # levels), so that its version check applies
            params = [
                {**stage_values(stage), "b_id": stage_id, "b_version": version, "version": version + 1}
                for _, stage, stage_id, version in touched
            ]
            # a single row as a plain execute: psycopg runs executemany in pipeline
            # mode, which costs extra synchronisation for one statement
            result = connection.execute(_UPDATE_STAGE, params[0] if len(params) == 1 else params)
            if result.rowcount != len(touched):
                raise Conflict(STALE_MESSAGE)
            for key, stage, stage_id, version in touched:
                versions[key] = (stage_id, version + 1)
                self._write_children(connection, stage, stage_id)
        if project.project_touched:
            result = connection.execute(
                update(P)
                .where(P.c.id == project.id, P.c.version == project_version)
                .values(
                    name=project.name,
                    community=project.community,
                    planner_id=project.planner_id,
                    status=project.status.value,
                    completed_at=project.completed_at,
                    status_reason=project.status_reason,
                    status_since=project.status_since,
                    status_by=project.status_by,
                    version=project_version + 1,
                )
            )
            if result.rowcount != 1:
                raise Conflict(STALE_MESSAGE)
            self._versions[project.id] = (project_version + 1, versions)
        if project.parties_touched:
            connection.execute(delete(PP).where(PP.c.project_id == project.id))
            if project.parties:
                connection.execute(
                    insert(PP),
                    [
                        {"project_id": project.id, "role": r, "person_id": p}
                        for r, p in project.parties.items()
                    ],
                )
            project.parties_touched = False
        project.touched.clear()
        project.project_touched = False

    def stage_versions(self, project_id: int) -> tuple[int, dict[str, tuple[int, int]]]:
        """The project's version and each stage's (row id, version) as read by this
        unit of work (``db.migrating`` writes a moved project with them)."""
        return self._versions[project_id]

    def remember(self, project_id: int, version: int, stages: dict[str, tuple[int, int]]) -> None:
        """The versions a write outside :meth:`save` left (see :meth:`stage_versions`)."""
        self._versions[project_id] = (version, stages)

    def write_children(self, connection: Any, stage: Stage, stage_id: int) -> None:
        """The stage's new and changed child records (see :meth:`_write_children`)."""
        self._write_children(connection, stage, stage_id)

    @staticmethod
    def _write_children(connection: Any, stage: Stage, stage_id: int) -> None:
        """Insert the new child records (id None) and update the ones marked dirty;
        delete the approval records an undo took back."""
        if stage.dropped_approvals:
            connection.execute(delete(A).where(A.c.id.in_(stage.dropped_approvals), A.c.stage_id == stage_id))
            stage.dropped_approvals.clear()
        if stage.dropped_attachments:
            connection.execute(
                delete(AT).where(AT.c.id.in_(stage.dropped_attachments), AT.c.stage_id == stage_id)
            )
            stage.dropped_attachments.clear()
        for table, items, values in (
            (AT, stage.attachments, attachment_values),
            (A, stage.approvals, approval_values),
            (CP, stage.pauses, pause_values),
            (X, stage.extensions, extension_values),
        ):
            new = [item for item in items if item.id is None]
            if new:
                rows = [{**values(item), "stage_id": stage_id} for item in new]
                ids = (
                    # one row as a plain execute (psycopg's executemany runs in
                    # pipeline mode, extra synchronisation for one statement)
                    connection.execute(_INSERT_CHILD[table.name], rows[0] if len(rows) == 1 else rows)
                    .scalars()
                    .all()
                )
                for item, new_id in zip(new, ids, strict=True):
                    item.id = new_id
            for item in items:
                if getattr(item, "dirty", False):
                    connection.execute(update(table).where(table.c.id == item.id).values(**values(item)))
                    item.dirty = False


class _Driven(NamedTuple):
    """A pre-built statement as the driver runs it: its SQL text, a row type with
    its columns' names, and the result processors SQLAlchemy would apply."""

    sql: str
    row: Any
    processors: tuple[tuple[int, Any], ...]


_DRIVEN: dict[int, _Driven] = {}


def _driven(connection: Any, statement: Any) -> _Driven:
    driven = _DRIVEN.get(id(statement))
    if driven is None:
        compiled = statement.compile(dialect=connection.dialect)
        columns = list(statement.selected_columns)
        processors = tuple(
            (index, processor)
            for index, column in enumerate(columns)
            if (processor := column.type._cached_result_processor(connection.dialect, None)) is not None
        )
        row = namedtuple("Row", [column.key for column in columns])  # type: ignore[misc]
        driven = _DRIVEN[id(statement)] = _Driven(str(compiled), row, processors)
    return driven


def _all(connection: Any, statement: Any, values: dict[str, Any]) -> list[Any]:
    """The rows of one of the module's pre-built SELECTs (built once, kept for the
    process, so their ids stay theirs). On PostgreSQL a command's two loads run on
    the driver's cursor: the same SQL text, parameters and result processing, without
    SQLAlchemy's per-execution and per-row work (a third of their client time)."""
    if connection.dialect.name != "postgresql":
        return connection.execute(statement, values).all()
    driven = _driven(connection, statement)
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(driven.sql, values)
        raw = cursor.fetchall()
    except connection.dialect.loaded_dbapi.Error as error:
        _raise_as_sqlalchemy(connection, error, driven.sql, values, cursor)
    finally:
        cursor.close()
    make = driven.row._make
    if not driven.processors:
        return [make(r) for r in raw]
    rows = []
    for r in raw:
        values_ = list(r)
        for index, processor in driven.processors:
            if values_[index] is not None:  # NULL stays None, as SQLAlchemy returns it
                values_[index] = processor(values_[index])
        rows.append(make(values_))
    return rows


def _raise_as_sqlalchemy(
    connection: Any, error: Exception, sql: str, values: dict[str, Any] | None, cursor: Any
) -> NoReturn:
    """A driver's error on a statement run on its own cursor, raised as SQLAlchemy
    raises it for its own statements: wrapped (a dropped connection is an
    ``OperationalError``, "database unavailable"; a duplicate an ``IntegrityError``),
    and a dropped connection invalidated, so that the pool does not hand it out
    again. SQLAlchemy's own handler (not public API, stable since 1.x)."""
    connection._handle_dbapi_exception(error, sql, values, cursor, None)


def _first(connection: Any, statement: Any, values: dict[str, Any]) -> Any:
    rows = _all(connection, statement, values)
    return rows[0] if rows else None


STALE_MESSAGE = (
    "someone else changed this stage at the same moment; nothing was saved — "
    "look at it again (`accompany project show`) and retry if still needed"
)
P, S = ProjectRow.__table__, StageRow.__table__
PP = ProjectPartyRow.__table__
_PARTIES = select(PP.c.role, PP.c.person_id).where(PP.c.project_id == bindparam("project_id"))
A, AT, CP, X = ApprovalRow.__table__, AttachmentRow.__table__, ClockPauseRow.__table__, ExtensionRow.__table__
CHILD_TABLES = {"attachments": AT, "approvals": A, "pauses": CP, "extensions": X}
_INSERT_CHILD = {
    table.name: insert(table).returning(table.c.id, sort_by_parameter_order=True)
    for table in CHILD_TABLES.values()
}
# statements a command runs every time, built once (see _stages_statement)
_ST, _DI = StreetRow.__table__, DistrictRow.__table__
# the street's and district's names come along for the messages people read
_NAMES = (_ST.c.name.label("street_name"), _DI.c.name.label("district_name"))
_PROJECT = (
    select(P, *_NAMES)
    .join(_ST, _ST.c.id == P.c.street_id)
    .join(_DI, _DI.c.id == P.c.district_id)
    .where(P.c.id == bindparam("project_id"))
)
_PROJECT_FOR_UPDATE = _PROJECT.with_for_update(of=P)
_INSERT_PROJECT = insert(P).returning(P.c.id, sort_by_parameter_order=True)
_INSERT_STAGES = insert(S)
_INSERT_STAGES_RETURNING = insert(S).returning(S.c.id, S.c.key, sort_by_parameter_order=True)
_ACTOR = PersonRow.__table__
_PLANNER, _COORDINATOR, _SYSTEM = (_ACTOR.alias(name) for name in ("planner", "coordinator", "system_actor"))
_PROJECT_AND_ACTOR = (
    select(
        P,
        *_NAMES,
        _PLANNER.c.name.label("planner_name"),
        _COORDINATOR.c.name.label("coordinator_name"),
        _SYSTEM.c.name.label("system_name"),
        # the actor as a command needs them (not their phone)
        *(column.label(f"a_{column.name}") for column in _ACTOR.c if column.name != "phone"),
    )
    .join(_ST, _ST.c.id == P.c.street_id)
    .join(_DI, _DI.c.id == P.c.district_id)
    .outerjoin(_ACTOR, _ACTOR.c.id == bindparam("person_id"))
    .outerjoin(_PLANNER, _PLANNER.c.id == P.c.planner_id)
    .outerjoin(_COORDINATOR, _COORDINATOR.c.id == P.c.coordinator_id)
    .outerjoin(_SYSTEM, _SYSTEM.c.id == literal_column(f"'{SYSTEM_ACTOR}'", String))
    .where(P.c.id == bindparam("project_id"))
)
_PROJECT_AND_ACTOR_FOR_UPDATE = _PROJECT_AND_ACTOR.with_for_update(of=P)
_STAGE_FIELDS = (
    "state",
    "round",
    "activated_at",
    "submitted_at",
    "approved_at",
    "fixed_due",
    "due_date",
    "due_provisional",
    "deadline",
    "paused_since",
    "waiting_for",
    "evidence",
    "version",
)
_UPDATE_STAGE = (
    update(S)
    .where(S.c.id == bindparam("b_id"), S.c.version == bindparam("b_version"))
    .values({name: bindparam(name) for name in _STAGE_FIELDS})
)


def _deadline(record: dict[str, Any] | None) -> Deadline | None:
    if not record:
        return None
    basis = {
        k: v
        for k, v in record.items()
        if k not in ("due", "provisional", "base_due", "paused_working_days", "extension_working_days")
    }
    return Deadline(
        due=dt.date.fromisoformat(record["due"]),
        provisional=record["provisional"],
        base_due=dt.date.fromisoformat(record["base_due"]),
        paused_working_days=record.get("paused_working_days", 0),
        extension_working_days=record.get("extension_working_days", 0),
        basis=basis,
    )


def _key(name: str) -> Any:
    """A JSON object's key as a string literal in the SQL text (names of columns)."""
    assert name.replace("_", "").isalnum()
    return literal_column(f"'{name}'", String)


# the stage columns a project is built from (the others are derived from these)
_STAGE_COLUMNS = (
    "id",
    "key",
    "position",
    "state",
    "round",
    "activated_at",
    "submitted_at",
    "approved_at",
    "fixed_due",
    "deadline",
    "evidence",
    "version",
)


def _stages_statement(dialect: str, *, last_events: bool = False, delegation_day: bool = False) -> Any:
    """A project's stages, each with its approvals, pauses, extensions and
    attachments as JSON arrays (one correlated subquery per kind), and the project's
    parties (a JSON object, the same on every row), in one query. Built once per
    dialect: constructing it per command cost more than running it."""
    columns = [S.c[name].label(f"s_{name}") for name in _STAGE_COLUMNS]
    person = PersonRow.__table__
    for name, table in CHILD_TABLES.items():
        # the keys as SQL text, not bound parameters (37 of them to send and adapt on
        # every load otherwise)
        fields = [part for column in table.c for part in (_key(column.name), column)]
        if name == "pauses":  # who paused, by name, for the messages people read
            pauser = select(person.c.name).where(person.c.id == table.c.paused_by).scalar_subquery()
            fields += [_key("paused_by_name"), pauser]
        if dialect == "postgresql":
            # NULL, not '[]', when there are none (most stages have no pauses,
            # extensions or attachments): nothing for the driver to parse
            aggregate = func.json_agg(func.json_build_object(*fields))
        else:
            aggregate = func.json_group_array(func.json_object(*fields))
        children = select(aggregate).where(table.c.stage_id == S.c.id).scalar_subquery()
        columns.append(children.label(f"c_{name}"))
    # uncorrelated: computed once per statement; as text, parsed once per project
    if dialect == "postgresql":
        parties = cast(func.json_object_agg(PP.c.role, PP.c.person_id), Text)
    else:
        parties = func.json_group_object(PP.c.role, PP.c.person_id)
    columns.append(
        select(parties).where(PP.c.project_id == bindparam("project_id")).scalar_subquery().label("parties")
    )
    if delegation_day:
        # whether any delegation covers the command's date: when none does (the
        # usual case), its notifications and decisions need no lookup of substitutes
        d, day = DelegationRow.__table__, bindparam("day", type_=Date)
        columns.append(exists().where(d.c.starts_on <= day, d.c.ends_on >= day).label("delegations_on_day"))
    query = select(*columns).where(S.c.project_id == bindparam("project_id")).order_by(S.c.position)
    if last_events:
        # each stage's last event, for the time rules of a command (one pass over
        # the project's events in the same statement, instead of a query more)
        e = EventRow.__table__
        last = (
            select(e.c.stage_key, func.max(e.c.occurred_at).label("last_event_at"))
            .where(e.c.project_id == bindparam("project_id"))
            .group_by(e.c.stage_key)
            .subquery("last_event")
        )
        query = query.add_columns(last.c.last_event_at).outerjoin_from(S, last, last.c.stage_key == S.c.key)
    return query


_STAGES = {dialect: _stages_statement(dialect) for dialect in ("postgresql", "sqlite")}
_STAGES_FOR_WRITE = {
    (dialect, day): _stages_statement(dialect, last_events=True, delegation_day=day)
    for dialect in ("postgresql", "sqlite")
    for day in (False, True)
}


_CHILD_COLUMNS = tuple((name, f"c_{name}") for name in CHILD_TABLES)


def _by_id(record: dict[str, Any]) -> Any:
    return record["id"]


def _children(row: Any) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for name, column in _CHILD_COLUMNS:
        raw = getattr(row, column)
        if not raw:  # none of this kind (NULL on PostgreSQL)
            out[name] = []
            continue
        records = json.loads(raw) if isinstance(raw, str) else raw
        out[name] = sorted(records, key=_by_id)
    return out


def _instant(value: Any) -> dt.datetime | None:
    """A datetime read back from JSON: ISO text, naive meaning UTC (SQLite)."""
    if value is None:
        return None
    moment = dt.datetime.fromisoformat(value)
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _stage(row: Any, template: ProcessTemplate, children: dict[str, list[dict[str, Any]]]) -> Stage:
    return Stage(
        key=row.s_key,
        position=row.s_position,
        state=StageState(row.s_state),
        round=row.s_round,
        activated_at=row.s_activated_at,
        submitted_at=row.s_submitted_at,
        approved_at=row.s_approved_at,
        fixed_due=row.s_fixed_due,
        deadline=_deadline(row.s_deadline),
        evidence=dict(row.s_evidence or {}),
        attachments=[
            Attachment(
                a["key"],
                a["filename"],
                a["sha256"],
                a["size"],
                a["stored_as"],
                a["added_by"],
                _instant(a["added_at"]),
                a["id"],
            )
            for a in children["attachments"]
        ],
        approvals=[
            ApprovalRecord(
                a["round"],
                approval_level(a["level"]),
                a["decision"],
                a["decided_by"],
                _instant(a["decided_at"]),
                a["comment"],
                a["id"],
            )
            for a in children["approvals"]
        ],
        pauses=[
            ClockPause(
                _instant(p["paused_at"]),
                p["paused_by"],
                p["reason"],
                _instant(p["resumed_at"]),
                p["resumed_by"],
                p["id"],
                paused_by_name=p.get("paused_by_name") or "",
                suspension=bool(p.get("suspension")),
            )
            for p in children["pauses"]
        ],
        extensions=[
            ExtensionRequest(
                _instant(e["requested_at"]),
                e["requested_by"],
                e["working_days"],
                e["reason"],
                e["status"],
                e["decided_by"],
                _instant(e["decided_at"]),
                e["granted_days"],
                e["comment"],
                e["id"],
            )
            for e in children["extensions"]
        ],
        version=row.s_version,
        spec=template.stage(row.s_key),
    )


def approval_level(value: str) -> ApprovalLevel | PartyRole:
    """A decision's level as stored: a level, or the party that signed a joint step."""
    return ApprovalLevel(value) if value in ApprovalLevel._value2member_map_ else PartyRole(value)


def stage_values(stage: Stage) -> dict[str, Any]:
    pause = stage.open_pause()
    waiting = stage.next_approval_level()
    return {
        "state": stage.state.value,
        "round": stage.round,
        "activated_at": stage.activated_at,
        "submitted_at": stage.submitted_at,
        "approved_at": stage.approved_at,
        "fixed_due": stage.fixed_due,
        "due_date": stage.deadline.due if stage.deadline else None,
        "due_provisional": stage.deadline.provisional if stage.deadline else False,
        "deadline": stage.deadline.to_record() if stage.deadline else None,
        "paused_since": pause.paused_at if pause else None,
        "waiting_for": waiting.value if waiting else None,
        "evidence": dict(stage.evidence),
    }


def attachment_values(a: Attachment) -> dict[str, Any]:
    return {
        "key": a.key,
        "filename": a.filename,
        "sha256": a.sha256,
        "size": a.size,
        "stored_as": a.stored_as,
        "added_by": a.added_by,
        "added_at": a.added_at,
    }


def approval_values(a: ApprovalRecord) -> dict[str, Any]:
    return {
        "round": a.round,
        "level": a.level.value,
        "decision": a.decision,
        "decided_by": a.decided_by,
        "decided_at": a.decided_at,
        "comment": a.comment,
    }


def pause_values(p: ClockPause) -> dict[str, Any]:
    return {
        "paused_at": p.paused_at,
        "paused_by": p.paused_by,
        "reason": p.reason,
        "resumed_at": p.resumed_at,
        "resumed_by": p.resumed_by,
        "suspension": p.suspension,
    }


def extension_values(e: ExtensionRequest) -> dict[str, Any]:
    return {
        "requested_at": e.requested_at,
        "requested_by": e.requested_by,
        "working_days": e.working_days,
        "reason": e.reason,
        "status": e.status,
        "decided_by": e.decided_by,
        "decided_at": e.decided_at,
        "granted_days": e.granted_days,
        "comment": e.comment,
    }


class EventLog:
    """Appends domain events to the append-only log, each with the channel the
    command came in by (and the CLI's operating-system user), chained by hash to the
    event before it (:mod:`accompany.models.chain`).

    Appending takes the chain's head first: on PostgreSQL a transaction-level
    advisory lock (:data:`CHAIN_LOCK`), held until commit, so two transactions never
    link to the same predecessor and fork the chain; on SQLite a writing transaction
    already holds the database's write lock (BEGIN IMMEDIATE).

    ``occurred_at`` is the moment the command acted at (``--now`` when an operator
    back-fills); ``recorded_at`` is the real time from the application's wall clock
    (never ``--now``), or the database server's clock when none is given."""

    def __init__(
        self,
        session: Session,
        *,
        channel: str | None = None,
        os_user: str | None = None,
        wall_clock: Clock | None = None,
    ):
        self.session = session
        self.channel = channel
        self.os_user = os_user
        self.wall_clock = wall_clock
        # (transaction, hash of the newest event) once this transaction holds the head
        self._head: tuple[Any, str] | None = None

    def _previous_hash(self) -> str:
        transaction = self.session.get_transaction()
        if self._head is not None and self._head[0] is transaction:
            return self._head[1]
        connection = self.session.connection()
        if connection.dialect.name == "postgresql":
            # the lock and the read in one round trip, each a statement of its own
            # (a simple-protocol query of two statements): the SELECT then reads a
            # snapshot taken after the lock, which includes the previous holder's
            # committed events
            cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
            try:
                cursor.execute(_lock_and_last_hash())
                cursor.nextset()
                last = cursor.fetchone()
            except connection.dialect.loaded_dbapi.Error as error:
                _raise_as_sqlalchemy(connection, error, _lock_and_last_hash(), None, cursor)
            finally:
                cursor.close()
            return chain.GENESIS if last is None else (last[0] or chain.GENESIS)
        last = connection.execute(_LAST_HASH).first()
        return chain.GENESIS if last is None else (last.hash or chain.GENESIS)

    def lock_head(self) -> None:
        """Take the chain's head for this transaction now (before deciding what to
        append): on PostgreSQL, other appenders wait until this one commits."""
        previous = self._previous_hash()
        self._head = (self.session.get_transaction(), previous)

    def append(self, project_id: int | None, events: Iterable[Event]) -> int:
        return self.append_many([(project_id, events)])

    def append_many(self, batches: Iterable[tuple[int | None, Iterable[Event]]]) -> int:
        """Append the events of many projects, in the order given, chained, in one
        executemany (an import appends 10,000 projects' events this way)."""
        pending = [(project_id, e) for project_id, events in batches for e in events]
        if not pending:
            return 0
        previous = self._previous_hash()
        # the real time, in the hash too: a back-fill cannot later be made to look
        # recorded on time (an adapter may read the clock; the domain never does)
        recorded_at = self.wall_clock.now() if self.wall_clock is not None else dt.datetime.now(dt.UTC)
        rows = []
        for project_id, e in pending:
            data = _jsonable(e.data)
            digest = chain.event_hash(
                kind=e.kind.value,
                project_id=project_id,
                stage=e.stage,
                actor=e.actor,
                occurred_at=e.at,
                before=e.before,
                after=e.after,
                data=data,
                channel=self.channel,
                os_user=self.os_user,
                recorded_at=recorded_at,
                prev_hash=previous,
            )
            rows.append(
                {
                    "project_id": project_id,
                    "stage_key": e.stage,
                    "kind": e.kind.value,
                    "actor": e.actor,
                    "occurred_at": e.at,
                    "before_state": e.before,
                    "after_state": e.after,
                    "data": data,
                    "channel": self.channel,
                    "os_user": self.os_user,
                    "prev_hash": previous,
                    "hash": digest,
                    "recorded_at": recorded_at,
                }
            )
            previous = digest
        self.session.connection().execute(_INSERT_EVENT, rows[0] if len(rows) == 1 else rows)
        self._head = (self.session.get_transaction(), previous)
        return len(rows)

    def for_project(self, project_id: int, kinds: tuple[str, ...] | None = None) -> list[EventRow]:
        query = select(EventRow).where(EventRow.project_id == project_id)
        if kinds is not None:
            query = query.where(EventRow.kind.in_(kinds))
        return list(self.session.scalars(query.order_by(EventRow.id)))

    def last_at(self, project_id: int, stage_key: str) -> dt.datetime | None:
        """The moment of the stage's last event in the log."""
        return self.session.scalar(
            select(func.max(EventRow.occurred_at)).where(
                EventRow.project_id == project_id, EventRow.stage_key == stage_key
            )
        )

    def last_lifecycle_at(self, project_id: int) -> dt.datetime | None:
        """The moment of the project's last lifecycle event (of the project or any of
        its stages; notifications sent are not part of its history)."""
        return self.session.scalar(
            select(func.max(EventRow.occurred_at)).where(
                EventRow.project_id == project_id,
                EventRow.kind.like("project.%") | EventRow.kind.like("stage.%"),
            )
        )

    def has_recent(self, project_id: int, actor: str, kinds: Iterable[str], since: dt.datetime) -> bool:
        """Whether ``actor`` recorded an event of ``kinds`` on the project at or after
        ``since`` (the real clock: ``recorded_at``)."""
        table = EventRow.__table__
        return (
            self.session.scalar(
                select(table.c.id)
                .where(
                    table.c.project_id == project_id,
                    table.c.actor == actor,
                    table.c.kind.in_(list(kinds)),
                    table.c.recorded_at >= since,
                )
                .limit(1)
            )
            is not None
        )

    def rows_for_project(
        self,
        project_id: int,
        kinds: tuple[str, ...] | None = None,
        *,
        newest: int | None = None,
        skip: int = 0,
    ) -> list[Any]:
        """The project's events as plain rows (the columns of :class:`EventRow`, read
        without the ORM's bookkeeping): for read models. Oldest first; with
        ``newest``, that many newest first, after skipping the ``skip`` newest."""
        table = EventRow.__table__
        query = select(table).where(table.c.project_id == project_id)
        if kinds is not None:
            query = query.where(table.c.kind.in_(kinds))
        if newest is not None:
            query = query.order_by(table.c.id.desc()).limit(newest).offset(skip)
        else:
            query = query.order_by(table.c.id)
        return list(self.session.execute(query))

    def page_for_project(
        self, project_id: int, newest: int, *, skip: int = 0, also: tuple[str, ...] = ()
    ) -> tuple[list[Any], int]:
        """In one statement: the project's ``newest`` events after the ``skip``
        newest (newest first), every event of the kinds in ``also`` wherever it
        is in the log, and how many events the log holds. Each row carries ``rn``,
        its place from the newest (1, 2, …)."""
        statement = _EVENT_PAGE_WITH if also else _EVENT_PAGE
        values: dict[str, Any] = {"project_id": project_id, "first": skip + 1, "last": skip + newest}
        if also:
            values["also"] = list(also)
        rows = list(self.session.execute(statement, values))
        total = rows[0].total if rows else (self.count_for_project(project_id) if skip else 0)
        return rows, total

    def count_for_project(self, project_id: int) -> int:
        table = EventRow.__table__
        return (
            self.session.scalar(
                select(func.count()).select_from(table).where(table.c.project_id == project_id)
            )
            or 0
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


# a page of a project's events, numbered from the newest, with the log's length
_NUMBERED = (
    select(
        EventRow.__table__,
        func.row_number().over(order_by=EventRow.__table__.c.id.desc()).label("rn"),
        func.count().over().label("total"),
    )
    .where(EventRow.__table__.c.project_id == bindparam("project_id"))
    .subquery()
)
_EVENT_PAGE = (
    select(_NUMBERED)
    .where(_NUMBERED.c.rn.between(bindparam("first"), bindparam("last")))
    .order_by(_NUMBERED.c.id.desc())
)
_EVENT_PAGE_WITH = (
    select(_NUMBERED)
    .where(
        or_(
            _NUMBERED.c.rn.between(bindparam("first"), bindparam("last")),
            _NUMBERED.c.kind.in_(bindparam("also", expanding=True)),
        )
    )
    .order_by(_NUMBERED.c.id.desc())
)
_PERSON = select(PersonRow.__table__).where(PersonRow.__table__.c.id == bindparam("person_id"))
# inline: no implicit RETURNING of the new id (SQLAlchemy adds one to a single-row
# INSERT on PostgreSQL for ``inserted_primary_key``, which nothing reads here)
_INSERT_EVENT = insert(EventRow.__table__).inline()
#: the PostgreSQL advisory lock key that serialises appends to the event chain
CHAIN_LOCK = 7011202612
_CHAIN_LOCK = select(func.pg_advisory_xact_lock(CHAIN_LOCK))
_LAST_HASH = (
    select(EventRow.__table__.c.id, EventRow.__table__.c.hash)
    .order_by(EventRow.__table__.c.id.desc())
    .limit(1)
)


@functools.cache
def _lock_and_last_hash() -> str:
    """PostgreSQL: take the lock, then read the head — two statements in one query text
    (no parameters: psycopg sends it with the simple protocol, one round trip; under
    READ COMMITTED each statement reads its own snapshot). Built on first use: a command
    on SQLite need not load SQLAlchemy's PostgreSQL dialect."""
    from sqlalchemy.dialects import postgresql

    return f"SELECT pg_advisory_xact_lock({CHAIN_LOCK}); " + str(
        select(EventRow.__table__.c.hash)
        .order_by(EventRow.__table__.c.id.desc())
        .limit(1)
        .compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    )
