"""The append-only event log, chained by hash (``models.chain``).

Separate from the repositories: every command appends here, in the transaction of
the change it records, and the chain's head is a lock of its own.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, insert, or_, select
from sqlalchemy.orm import Session

from ..models import chain
from ..models.events import Event
from .driver_cursor import raise_as_sqlalchemy
from .orm import EventRow

if TYPE_CHECKING:
    from ..clock import Clock


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
                raise_as_sqlalchemy(connection, error, _lock_and_last_hash(), None, cursor)
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
# inline: no implicit RETURNING of the new id (SQLAlchemy adds one to a single-row
# INSERT on PostgreSQL for ``inserted_primary_key``, which nothing reads here)
_INSERT_EVENT = insert(EventRow.__table__).inline()
#: the PostgreSQL advisory lock key that serialises appends to the event chain
CHAIN_LOCK = 7011202612
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
