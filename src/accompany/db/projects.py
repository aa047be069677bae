"""Project aggregates: a project with its stages, their child records and parties.

The repository; the SQL it runs is in :mod:`accompany.db.project_statements`, the
translation of a stage's rows in :mod:`accompany.db.stage_rows`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from ..models.deadlines import local_date
from ..models.errors import Conflict, NotFound
from ..models.events import SYSTEM_ACTOR
from ..models.people import Person, Role
from ..models.project import Project
from ..models.stage import Stage
from ..models.states import ProjectStatus
from .driver_cursor import all_rows, first_row
from .orm import TemplateRow
from .people import PeopleRepository
from .project_statements import (
    AT,
    CP,
    INSERT_CHILD,
    INSERT_PROJECT,
    INSERT_STAGES,
    INSERT_STAGES_RETURNING,
    PARTIES,
    PP,
    PROJECT,
    PROJECT_AND_ACTOR,
    PROJECT_AND_ACTOR_FOR_UPDATE,
    PROJECT_FOR_UPDATE,
    STAGES,
    STAGES_FOR_WRITE,
    UPDATE_STAGE,
    A,
    P,
    S,
    X,
)
from .stage_rows import (
    approval_values,
    attachment_values,
    extension_values,
    pause_values,
    stage_children,
    stage_from_row,
    stage_values,
)
from .templates import TemplateRepository

STALE_MESSAGE = (
    "someone else changed this stage at the same moment; nothing was saved — "
    "look at it again (`accompany project show`) and retry if still needed"
)


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
        query = PROJECT_AND_ACTOR_FOR_UPDATE if self.lock else PROJECT_AND_ACTOR
        row = first_row(connection, query, {"project_id": project_id, "person_id": person_id})
        if row is None or row.a_id is None:
            # not a person's id: their name? (an unknown person is named before the project)
            person = PeopleRepository(self.session).resolve(person_id, field="by")
            if row is None:
                raise NotFound("unknown project {project}", project=project_id)
            row = first_row(connection, query, {"project_id": project_id, "person_id": person.id})
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
        query = PROJECT_FOR_UPDATE if self.lock else PROJECT
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
            statement = STAGES_FOR_WRITE[connection.dialect.name, day is not None]
            if day is not None:
                values["day"] = day
        else:
            statement = STAGES[connection.dialect.name]
        stage_rows = (
            all_rows(connection, statement, values)
            if self.lock
            else connection.execute(statement, values).all()
        )
        if stage_rows:
            # the parties came with the stages (the same value on every row)
            parties = stage_rows[0].parties
            project.parties = json.loads(parties) if parties else {}
            if day is not None and not stage_rows[0].delegations_on_day:
                self.days_without_delegations.add(day)
        else:
            project.parties = {
                r.role: r.person_id for r in connection.execute(PARTIES, {"project_id": row.id})
            }
        versions = {}
        for stage_row in stage_rows:
            stage = stage_from_row(stage_row, template, stage_children(stage_row))
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
        ids = connection.execute(INSERT_PROJECT, project_rows).scalars().all()
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
                (ids[0], r.key): r.id for r in connection.execute(INSERT_STAGES_RETURNING, stage_rows)
            }
        elif stage_rows:
            # many (an import): a plain executemany, the ids read back in one query —
            # with RETURNING, psycopg parses one huge multi-row statement, slower than
            # writing the rows themselves
            connection.execute(INSERT_STAGES, stage_rows)
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
            result = connection.execute(UPDATE_STAGE, params[0] if len(params) == 1 else params)
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
                    connection.execute(INSERT_CHILD[table.name], rows[0] if len(rows) == 1 else rows)
                    .scalars()
                    .all()
                )
                for item, new_id in zip(new, ids, strict=True):
                    item.id = new_id
            for item in items:
                if getattr(item, "dirty", False):
                    connection.execute(update(table).where(table.c.id == item.id).values(**values(item)))
                    item.dirty = False
