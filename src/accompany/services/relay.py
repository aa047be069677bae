"""Relaying the event log to an event feed — Prefect's events, so that Prefect's UI
shows each project's lifecycle next to the scheduled flows (`accompany events
relay`, the ``relay-events`` flow).

Off the command's path: commands only append to the event log, as always. A relay
reads the events after its cursor (a row of ``relay_cursor``) in id order, in
batches, hands each batch to the feed and advances the cursor once the feed has
accepted it. Event ids follow commit order (appenders hold the chain's head until
they commit, :class:`accompany.db.event_log.EventLog`), so a cursor never skips an
event committed late.

Exactly once in the feed: each event carries an id derived from the event alone
(:func:`event_uuid`), so a batch sent again — after a crash between the feed's
acceptance and the cursor's commit — is recognised by Prefect and stored once.
Two relays never send the same batch at once on PostgreSQL: the batch is read and
sent while the cursor row is locked (SELECT … FOR UPDATE; only relays touch it). On
SQLite the relay does not hold the database's single write lock across a network
call (every command would wait for it): it reads, sends, then advances the cursor
only if it is still where it started; two relays that overlap send a batch twice,
and the event ids make the second a no-op in Prefect.

What leaves the database: kinds, states, ids, names (project, stage, street,
district, people) and roles, the channel and a few numbers (rounds, levels, working
days). Never reasons, notes, comments, evidence, contacts or channel URLs.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update

from ..db.orm import DistrictRow, EventRow, PersonRow, ProjectRow, RelayCursorRow, StreetRow
from ..models.errors import NotFound
from .ports import EventFeed, FeedUnavailable

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..bootstrap import App

#: the cursor of the relay to Prefect's events
PREFECT_CURSOR = "prefect"
#: events per batch (one request to the feed, one cursor commit)
BATCH = 200
#: fixed namespace of the Prefect event ids (uuid5 of "urn:accompany:event-log")
EVENT_NAMESPACE = uuid.UUID("809194f0-6aa5-5f25-9298-cdb17d31d709")
#: prefix of event names and resource ids in Prefect
PREFIX = "accompany"
#: the event data that may leave the database: numbers, levels, dates, flags — no
#: free text (reasons, notes, comments), no evidence, no contacts
SAFE_DATA = (
    "round",
    "level",
    "final",
    "first_level",
    "next_level",
    "due",
    "on_time",
    "waited_working_days",
    "requested_days",
    "granted_days",
    "working_days",
    "paused_working_days",
    "suspended_working_days",
    # a template migration: from and to which version
    "template_from",
    "template_to",
)


@dataclass(frozen=True)
class Person:
    id: str
    name: str | None = None
    role: str | None = None


@dataclass(frozen=True)
class RelayRecord:
    """One row of the event log with the names it points at, as the relay reads it."""

    id: int
    hash: str | None
    kind: str
    occurred_at: dt.datetime
    actor: Person
    channel: str | None = None
    project_id: int | None = None
    project_name: str | None = None
    district: tuple[str, str] | None = None  # (id, name)
    street: tuple[str, str] | None = None
    stage: str | None = None
    stage_name: str | None = None
    before: str | None = None
    after: str | None = None
    on_behalf_of: Person | None = None
    data: dict[str, Any] = field(default_factory=dict)


def event_uuid(event_id: int, event_hash: str | None) -> uuid.UUID:
    """The Prefect event id of an event of the log: the same every time it is sent
    (Prefect keeps one event per id). The event's hash is in it, so two databases
    relaying to one Prefect server never collide on the same number."""
    return uuid.uuid5(EVENT_NAMESPACE, f"{event_id}:{event_hash or ''}")


def _person(person: Person, role: str) -> dict[str, str]:
    resource = {
        "prefect.resource.id": f"{PREFIX}.person.{person.id}",
        "prefect.resource.role": role,
        "prefect.resource.name": person.name or person.id,
    }
    if person.role:
        resource[f"{PREFIX}.person.role"] = person.role
    return resource


def prefect_event(record: RelayRecord) -> dict[str, Any]:
    """The Prefect event (as JSON) for one event of the log: named
    ``accompany.<kind>`` (``accompany.stage.approved``), about the project
    (``accompany.project.<id>``; events of no project are about ``accompany``
    itself), related to its stage, street, district, the person who acted (with
    their role) and the person they acted for, and tagged ``accompany``."""
    if record.project_id is not None:
        resource = {
            "prefect.resource.id": f"{PREFIX}.project.{record.project_id}",
            "prefect.resource.name": record.project_name or f"#{record.project_id}",
        }
    else:
        resource = {"prefect.resource.id": PREFIX, "prefect.resource.name": PREFIX}
    related: list[dict[str, str]] = []
    if record.stage is not None and record.project_id is not None:
        related.append(
            {
                "prefect.resource.id": f"{PREFIX}.project.{record.project_id}.stage.{record.stage}",
                "prefect.resource.role": "stage",
                "prefect.resource.name": record.stage_name or record.stage,
            }
        )
    for role, place in (("street", record.street), ("district", record.district)):
        if place is not None:
            related.append(
                {
                    "prefect.resource.id": f"{PREFIX}.{role}.{place[0]}",
                    "prefect.resource.role": role,
                    "prefect.resource.name": place[1] or place[0],
                }
            )
    related.append(_person(record.actor, "actor"))
    if record.on_behalf_of is not None:
        related.append(_person(record.on_behalf_of, "on-behalf-of"))
    related.append({"prefect.resource.id": f"prefect.tag.{PREFIX}", "prefect.resource.role": "tag"})
    payload: dict[str, Any] = {
        "event_id": record.id,
        "kind": record.kind,
        "project_id": record.project_id,
        "project": record.project_name,
        "stage": record.stage,
        "stage_name": record.stage_name,
        "before": record.before,
        "after": record.after,
        "actor": record.actor.id,
        "actor_name": record.actor.name,
        "actor_role": record.actor.role,
        "channel": record.channel,
    }
    details = {
        key: record.data[key]
        for key in SAFE_DATA
        if key in record.data and isinstance(record.data[key], str | int | float | bool | type(None))
    }
    if details:
        payload["details"] = details
    return {
        "id": str(event_uuid(record.id, record.hash)),
        "event": f"{PREFIX}.{record.kind}",
        "occurred": record.occurred_at.astimezone(dt.UTC).isoformat(),
        "resource": resource,
        "related": related,
        "payload": payload,
    }


# -- the relay -----------------------------------------------------------------------


@dataclass
class RelayResult:
    """What a relay run did: events handed over, batches, where the cursor stands,
    how many events still wait, and why it stopped early (the feed's reason)."""

    sent: int = 0
    batches: int = 0
    cursor: int = 0
    pending: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "batches": self.batches,
            "cursor": self.cursor,
            "pending": self.pending,
            "error": self.error,
        }


def relay(
    app: App,
    feed: EventFeed,
    *,
    limit: int | None = None,
    batch: int = BATCH,
    name: str = PREFECT_CURSOR,
) -> RelayResult:
    """Hand the events after the cursor to ``feed``, in id order and batches of
    ``batch``, at most ``limit`` of them (all when None). Stops at the first batch
    the feed refuses, the cursor left before it (those events stay queued) and the
    reason in ``error``."""
    if batch < 1 or (limit is not None and limit < 0):
        raise ValueError("batch and limit must be positive")
    result = RelayResult()
    while limit is None or result.sent < limit:
        size = batch if limit is None else min(batch, limit - result.sent)
        try:
            count, cursor = _relay_batch(app, feed, name, size)
        except FeedUnavailable as exc:
            result.error = str(exc) or type(exc).__name__
            break
        result.cursor = cursor
        if count == 0:
            break
        result.sent += count
        result.batches += 1
        if count < size:
            break
    result.cursor, result.pending = status(app, name)
    return result


def status(app: App, name: str = PREFECT_CURSOR) -> tuple[int, int]:
    """(the cursor, how many events are after it)."""
    with app.reader() as uow:
        cursor = (
            uow.session.scalar(select(RelayCursorRow.last_event_id).where(RelayCursorRow.name == name)) or 0
        )
        pending = (
            uow.session.scalar(select(func.count()).select_from(EventRow).where(EventRow.id > cursor)) or 0
        )
    return cursor, pending


def _relay_batch(app: App, feed: EventFeed, name: str, size: int) -> tuple[int, int]:
    """One batch: (events handed over, the cursor after it)."""
    if app.engine.dialect.name == "postgresql":
        with app.uow() as uow:
            # the cursor row stays locked while the batch is read and sent: a second
            # relay waits here, then reads after the advanced cursor
            cursor = _cursor(uow.session, name, lock=True)
            events = _batch(app, uow.session, cursor, size)
            if not events:
                return 0, cursor
            feed.send(events)  # FeedUnavailable: rolled back, the cursor unchanged
            last = events[-1]["payload"]["event_id"]
            _advance(uow.session, name, cursor, last, app)
            uow.commit()
        return len(events), last
    # SQLite: no write lock across the network call (see the module's docstring)
    with app.uow() as uow:
        cursor = _cursor(uow.session, name, lock=False)
        uow.commit()
    with app.reader() as uow:
        events = _batch(app, uow.session, cursor, size)
    if not events:
        return 0, cursor
    feed.send(events)
    last = events[-1]["payload"]["event_id"]
    with app.uow() as uow:
        moved = _advance(uow.session, name, cursor, last, app)
        uow.commit()
    if not moved:  # another relay advanced it meanwhile (its batch was the same)
        return 0, _cursor_value(app, name)
    return len(events), last


def _cursor_value(app: App, name: str) -> int:
    with app.reader() as uow:
        return (
            uow.session.scalar(select(RelayCursorRow.last_event_id).where(RelayCursorRow.name == name)) or 0
        )


def _cursor(session: Session, name: str, *, lock: bool) -> int:
    query = select(RelayCursorRow.last_event_id).where(RelayCursorRow.name == name)
    if lock:
        query = query.with_for_update()
    value = session.scalar(query)
    if value is None:
        session.add(RelayCursorRow(name=name, last_event_id=0, updated_at=None))
        session.flush()
        if lock:
            value = session.scalar(query)
    return value or 0


def _advance(session: Session, name: str, old: int, new: int, app: App) -> bool:
    """Move the cursor from ``old`` to ``new``; False when it was not at ``old``."""
    moved = session.execute(
        update(RelayCursorRow)
        .where(RelayCursorRow.name == name, RelayCursorRow.last_event_id == old)
        .values(last_event_id=new, updated_at=app.real_now())
    )
    return bool(moved.rowcount)  # type: ignore[attr-defined]


def _batch(app: App, session: Session, after: int, size: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(
            EventRow.id,
            EventRow.hash,
            EventRow.kind,
            EventRow.occurred_at,
            EventRow.actor,
            EventRow.channel,
            EventRow.project_id,
            EventRow.stage_key,
            EventRow.before_state,
            EventRow.after_state,
            EventRow.data,
        )
        .where(EventRow.id > after)
        .order_by(EventRow.id)
        .limit(size)
    ).all()
    return [prefect_event(record) for record in _records(app, session, rows)]


def _records(app: App, session: Session, rows: Sequence[Any]) -> list[RelayRecord]:
    """The rows with the names they point at (a few queries per batch)."""
    project_ids = {r.project_id for r in rows if r.project_id is not None}
    projects = {
        p.id: p
        for p in session.execute(
            select(
                ProjectRow.id,
                ProjectRow.name,
                ProjectRow.template_pk,
                ProjectRow.params,
                ProjectRow.district_id,
                DistrictRow.name.label("district_name"),
                ProjectRow.street_id,
                StreetRow.name.label("street_name"),
            )
            .join(DistrictRow, DistrictRow.id == ProjectRow.district_id)
            .join(StreetRow, StreetRow.id == ProjectRow.street_id)
            .where(ProjectRow.id.in_(project_ids))
        ).all()
    }
    person_ids = {r.actor for r in rows} | {
        (r.data or {}).get("on_behalf_of")
        for r in rows
        if isinstance((r.data or {}).get("on_behalf_of"), str)
    }
    people = {
        p.id: Person(p.id, p.name, p.role)
        for p in session.execute(
            select(PersonRow.id, PersonRow.name, PersonRow.role).where(PersonRow.id.in_(person_ids))
        ).all()
    }
    stage_names: dict[int, dict[str, str]] = {}

    def stage_name(project_id: int, key: str) -> str | None:
        if project_id not in stage_names:
            project = projects.get(project_id)
            names: dict[str, str] = {}
            if project is not None:
                from ..db.templates import TemplateRepository

                try:
                    template = TemplateRepository(session).parsed_by_pk(
                        project.template_pk, project.params or {}
                    )
                    names = {spec.id: spec.label(app.lang) for spec in template.stages}
                except NotFound:
                    names = {}
            stage_names[project_id] = names
        return stage_names[project_id].get(key)

    records = []
    for r in rows:
        project = projects.get(r.project_id) if r.project_id is not None else None
        data = r.data or {}
        behalf = data.get("on_behalf_of")
        records.append(
            RelayRecord(
                id=r.id,
                hash=r.hash,
                kind=r.kind,
                occurred_at=r.occurred_at,
                actor=people.get(r.actor, Person(r.actor)),
                channel=r.channel,
                project_id=r.project_id,
                project_name=project.name if project else None,
                district=(project.district_id, project.district_name) if project else None,
                street=(project.street_id, project.street_name) if project else None,
                stage=r.stage_key,
                stage_name=stage_name(r.project_id, r.stage_key) if project and r.stage_key else None,
                before=r.before_state,
                after=r.after_state,
                on_behalf_of=people.get(behalf, Person(behalf)) if isinstance(behalf, str) else None,
                data=data,
            )
        )
    return records
