"""Repositories: translate between the ORM rows and the pure domain objects."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import flag_modified

from ..models.deadlines import Deadline
from ..models.errors import Conflict, NotFound
from ..models.events import Event
from ..models.people import District, Person, Role, Street
from ..models.project import (
    ApprovalRecord,
    Attachment,
    ClockPause,
    ExtensionRequest,
    Project,
    Stage,
)
from ..models.states import ProjectStatus, StageState
from ..models.template import ApprovalLevel, ProcessTemplate, build_template
from .orm import (
    ApprovalRow,
    AttachmentRow,
    ClockPauseRow,
    DistrictRow,
    EventRow,
    ExtensionRow,
    PersonRow,
    ProjectRow,
    StageRow,
    StreetRow,
    TemplateRow,
)

# Templates are immutable once stored, so a parsed snapshot can be shared by every
# command of the process (pydantic validation of a whole template is not free).
_TEMPLATE_CACHE: dict[tuple[int, str], ProcessTemplate] = {}


def template_checksum(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class PeopleRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, person_id: str) -> Person:
        row = self.session.get(PersonRow, person_id)
        if row is None:
            raise NotFound(f"unknown person {person_id!r} (load the directory with `accompany people load`)")
        return _person(row)

    def all(self) -> list[Person]:
        rows = self.session.scalars(select(PersonRow).order_by(PersonRow.role, PersonRow.id))
        return [_person(r) for r in rows]

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
        raise NotFound(f"unknown district {text!r}")

    def resolve_street(self, district: District, text: str) -> Street:
        for street in district.streets:
            if text in (street.id, street.name):
                return street
        names = ", ".join(s.id for s in district.streets) or "none loaded"
        raise NotFound(f"unknown street {text!r} in district {district.id} (streets: {names})")

    def upsert_district(self, district: District) -> None:
        self.session.merge(DistrictRow(id=district.id, name=district.name))
        for street in district.streets:
            self.session.merge(StreetRow(id=street.id, district_id=district.id, name=street.name))

    def upsert(self, person: Person) -> str:
        """Insert or update; returns "added", "updated" or "unchanged"."""
        row = self.session.get(PersonRow, person.id)
        values = {
            "name": person.name,
            "role": person.role.value,
            "district_id": person.district,
            "streets": list(person.streets),
            "team": person.team,
            "active": person.active,
        }
        if row is None:
            self.session.add(PersonRow(id=person.id, **values))
            return "added"
        if all(getattr(row, k) == v for k, v in values.items()):
            return "unchanged"
        for key, value in values.items():
            setattr(row, key, value)
        return "updated"


def _person(row: PersonRow) -> Person:
    return Person(
        id=row.id,
        name=row.name,
        role=Role(row.role),
        district=row.district_id,
        streets=tuple(row.streets or ()),
        team=row.team,
        active=row.active,
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
                f"template {body['id']}@{body['version']} was changed after projects started "
                "with it; give the changed file a new version number"
            )
        return row

    def parsed(self, row: TemplateRow, params: dict[str, Any]) -> ProcessTemplate:
        key = (row.pk, json.dumps(params, sort_keys=True, default=str))
        template = _TEMPLATE_CACHE.get(key)
        if template is None:
            template = build_template(row.body, params, source=f"template {row.template_id}@{row.version}")
            _TEMPLATE_CACHE[key] = template
        return template

    def parsed_by_pk(self, pk: int, params: dict[str, Any]) -> ProcessTemplate:
        """Like :meth:`parsed`, reading the snapshot row only when not cached yet."""
        template = _TEMPLATE_CACHE.get((pk, json.dumps(params, sort_keys=True, default=str)))
        if template is not None:
            return template
        row = self.session.get(TemplateRow, pk)
        if row is None:
            raise NotFound(f"unknown template snapshot {pk}")
        return self.parsed(row, params)


class ProjectRepository:
    """Loads and saves whole project aggregates."""

    def __init__(self, session: Session, *, lock: bool = False):
        self.session = session
        self.templates = TemplateRepository(session)
        self.lock = lock
        self._rows: dict[int, tuple[ProjectRow, dict[str, StageRow]]] = {}

    def get(self, project_id: int) -> Project:
        """Load a whole project. A writing unit of work first locks the project row
        (SELECT … FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already holds
        the write lock), so the stages, approvals and pauses read next are one
        consistent picture and two commands on one project run one after the other.
        The stage version check stays as a second guard."""
        query = select(ProjectRow).where(ProjectRow.id == project_id)
        if self.lock:
            query = query.with_for_update(of=ProjectRow)
        row = self.session.scalar(
            query.options(
                selectinload(ProjectRow.template),
                selectinload(ProjectRow.stages).options(
                    selectinload(StageRow.attachments),
                    selectinload(StageRow.approvals),
                    selectinload(StageRow.pauses),
                    selectinload(StageRow.extensions),
                ),
            )
        )
        if row is None:
            raise NotFound(f"unknown project {project_id}")
        template = self.templates.parsed(row.template, row.params)
        project = Project(
            id=row.id,
            name=row.name,
            district=row.district_id,
            street=row.street_id,
            community=row.community,
            planner_id=row.planner_id,
            coordinator_id=row.coordinator_id,
            template=template,
            params=dict(row.params),
            start_date=row.start_date,
            created_at=row.created_at,
            status=ProjectStatus(row.status),
            completed_at=row.completed_at,
        )
        for stage_row in row.stages:
            project.stages[stage_row.key] = _stage(stage_row, template)
        self._rows[row.id] = (row, {s.key: s for s in row.stages})
        return project

    def add(self, project: Project, template_row: TemplateRow) -> int:
        row = ProjectRow(
            name=project.name,
            district_id=project.district,
            street_id=project.street,
            community=project.community,
            planner_id=project.planner_id,
            coordinator_id=project.coordinator_id,
            template_pk=template_row.pk,
            params=project.params,
            start_date=project.start_date,
            status=project.status.value,
            created_at=project.created_at,
        )
        stage_rows = {}
        for stage in project.stages.values():
            stage_row = StageRow(
                key=stage.key,
                position=stage.position,
                phase=project.template.stage(stage.key).phase,
                state=stage.state.value,
                round=stage.round,
                evidence={},
            )
            stage_row.attachments = []
            stage_row.approvals = []
            stage_row.pauses = []
            stage_row.extensions = []
            stage_rows[stage.key] = stage_row
        row.stages = list(stage_rows.values())
        self.session.add(row)
        self.session.flush()
        project.id = row.id
        self._rows[row.id] = (row, stage_rows)
        self.save(project)
        return row.id

    def save(self, project: Project) -> None:
        """Write the touched stages back. The version columns make a concurrent
        change of the same stage fail at flush (optimistic concurrency)."""
        assert project.id is not None
        row, stage_rows = self._rows[project.id]
        if project.project_touched:
            row.status = project.status.value
            row.completed_at = project.completed_at
        created: list[tuple[Any, Any]] = []
        for key in sorted(project.touched):
            created += _write_stage(project.stages[key], stage_rows[key])
        self.session.flush()
        for item, child_row in created:
            item.id = child_row.id
        project.touched.clear()
        project.project_touched = False


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


def _stage(row: StageRow, template: ProcessTemplate) -> Stage:
    return Stage(
        key=row.key,
        position=row.position,
        state=StageState(row.state),
        round=row.round,
        activated_at=row.activated_at,
        submitted_at=row.submitted_at,
        approved_at=row.approved_at,
        fixed_due=row.fixed_due,
        deadline=_deadline(row.deadline),
        evidence=dict(row.evidence or {}),
        attachments=[
            Attachment(a.key, a.filename, a.sha256, a.size, a.stored_as, a.added_by, a.added_at, a.id)
            for a in row.attachments
        ],
        approvals=[
            ApprovalRecord(
                a.round,
                ApprovalLevel(a.level),
                a.decision,
                a.decided_by,
                a.decided_at,
                a.comment,
                a.id,
            )
            for a in row.approvals
        ],
        pauses=[
            ClockPause(p.paused_at, p.paused_by, p.reason, p.resumed_at, p.resumed_by, p.id)
            for p in row.pauses
        ],
        extensions=[
            ExtensionRequest(
                e.requested_at,
                e.requested_by,
                e.working_days,
                e.reason,
                e.status,
                e.decided_by,
                e.decided_at,
                e.granted_days,
                e.comment,
                e.id,
            )
            for e in row.extensions
        ],
        version=row.version,
        spec=template.stage(row.key),
    )


def _write_stage(stage: Stage, row: StageRow) -> list[tuple[Any, Any]]:
    """Copy a touched stage onto its row; returns the child rows it created."""
    row.state = stage.state.value
    # Always UPDATE a touched stage, even when only child rows changed (an approval at
    # the first of two levels), so that its version check catches a concurrent writer.
    flag_modified(row, "state")
    row.round = stage.round
    row.activated_at = stage.activated_at
    row.submitted_at = stage.submitted_at
    row.approved_at = stage.approved_at
    row.fixed_due = stage.fixed_due
    row.due_date = stage.deadline.due if stage.deadline else None
    row.due_provisional = stage.deadline.provisional if stage.deadline else False
    row.deadline = stage.deadline.to_record() if stage.deadline else None
    pause = stage.open_pause()
    row.paused_since = pause.paused_at if pause else None
    waiting = stage.next_approval_level()
    row.waiting_for = waiting.value if waiting else None
    if row.evidence != stage.evidence:
        row.evidence = dict(stage.evidence)
    created = _sync_children(
        stage.attachments,
        row.attachments,
        lambda a: AttachmentRow(
            key=a.key,
            filename=a.filename,
            sha256=a.sha256,
            size=a.size,
            stored_as=a.stored_as,
            added_by=a.added_by,
            added_at=a.added_at,
        ),
    )
    created += _sync_children(
        stage.approvals,
        row.approvals,
        lambda a: ApprovalRow(
            round=a.round,
            level=a.level.value,
            decision=a.decision,
            decided_by=a.decided_by,
            decided_at=a.decided_at,
            comment=a.comment,
        ),
    )
    created += _sync_children(
        stage.pauses,
        row.pauses,
        lambda p: ClockPauseRow(
            paused_at=p.paused_at,
            paused_by=p.paused_by,
            reason=p.reason,
            resumed_at=p.resumed_at,
            resumed_by=p.resumed_by,
        ),
        update=lambda p, r: (
            setattr(r, "resumed_at", p.resumed_at),
            setattr(r, "resumed_by", p.resumed_by),
        ),
    )
    created += _sync_children(
        stage.extensions,
        row.extensions,
        lambda e: ExtensionRow(
            requested_at=e.requested_at,
            requested_by=e.requested_by,
            working_days=e.working_days,
            reason=e.reason,
            status=e.status,
            decided_by=e.decided_by,
            decided_at=e.decided_at,
            granted_days=e.granted_days,
            comment=e.comment,
        ),
        update=_update_extension,
    )
    return created


def _update_extension(e: ExtensionRequest, r: ExtensionRow) -> None:
    r.status = e.status
    r.decided_by = e.decided_by
    r.decided_at = e.decided_at
    r.granted_days = e.granted_days
    r.comment = e.comment


def _sync_children(items: Sequence[Any], rows: list[Any], new_row, update=None) -> list[tuple[Any, Any]]:  # type: ignore[no-untyped-def]
    """Append rows for new domain records (id None); update the ones marked dirty.
    Returns (record, new row) pairs so the caller can copy ids back after flush."""
    by_id = {r.id: r for r in rows}
    created = []
    for item in items:
        if item.id is None:
            child = new_row(item)
            rows.append(child)
            created.append((item, child))
        elif update is not None and getattr(item, "dirty", False):
            update(item, by_id[item.id])
            item.dirty = False
    return created


class EventLog:
    """Appends domain events to the append-only log."""

    def __init__(self, session: Session):
        self.session = session

    def append(self, project_id: int | None, events: Iterable[Event]) -> int:
        rows = [
            EventRow(
                project_id=project_id,
                stage_key=e.stage,
                kind=e.kind.value,
                actor=e.actor,
                occurred_at=e.at,
                before_state=e.before,
                after_state=e.after,
                data=_jsonable(e.data),
            )
            for e in events
        ]
        self.session.add_all(rows)
        return len(rows)

    def for_project(self, project_id: int) -> list[EventRow]:
        return list(
            self.session.scalars(
                select(EventRow).where(EventRow.project_id == project_id).order_by(EventRow.id)
            )
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value
