"""The notification outbox: queueing (exactly once per key), claiming (one
dispatcher per row at a time) and recording delivery results."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, and_, or_, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..db.orm import NotificationRow
from ..models.reminders import Intent

if TYPE_CHECKING:
    from ..bootstrap import App

PENDING, SENDING, SENT, RETRY, DEAD = "pending", "sending", "sent", "retry", "dead"
# no longer true when it came to be sent (the stage moved on): kept, never sent;
# ``last_error`` says why ("dropped: stage already approved")
DROPPED = "dropped"
QUEUE_BATCH = 400  # rows per INSERT: well under SQLite's bound-parameter limit


def insert_for(session: Session) -> Any:
    """The dialect's INSERT (it has ON CONFLICT) for this session's database."""
    return _dialect_insert(session.get_bind().dialect.name)


def _dialect_insert(dialect: str) -> Any:
    if dialect == "postgresql":
        # imported when a PostgreSQL database is used: a command on SQLite need not
        # load SQLAlchemy's PostgreSQL dialect
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert
    return {"sqlite": sqlite_insert}[dialect]


@functools.cache  # built once per dialect: a command queues notifications every time
def _queue_statement(dialect: str) -> Any:
    table = NotificationRow.__table__
    insert = _dialect_insert(dialect)
    return insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(table.c.dedupe_key)


class Outbox:
    def __init__(self, session: Session):
        self.session = session

    def queue(self, intents: Sequence[Intent], *, now: dt.datetime, not_before: dt.datetime) -> int:
        """Insert the intents not queued before (the unique key makes a repeat a
        no-op, also against a concurrent sweep); returns how many were new."""
        return len(self.queue_new(intents, now=now, not_before=not_before))

    def queue_new(self, intents: Sequence[Intent], *, now: dt.datetime, not_before: dt.datetime) -> set[str]:
        """As :meth:`queue`; returns the keys of the intents that were new."""
        if not intents:
            return set()
        statement = _queue_statement(self.session.get_bind().dialect.name)
        connection = self.session.connection()
        added: set[str] = set()
        for start in range(0, len(intents), QUEUE_BATCH):
            rows = [
                {
                    "dedupe_key": i.dedupe_key,
                    "kind": i.kind.value,
                    "digest": i.digested,
                    "audience": i.audience,
                    "project_id": i.project_id,
                    "stage_key": i.stage,
                    "payload": i.payload,
                    "created_at": now,
                    "status": PENDING,
                    "attempts": 0,
                    "next_attempt_at": not_before,
                    "channels_done": [],
                }
                for i in intents[start : start + QUEUE_BATCH]
            ]
            # one row (a command's usual one notification) as a plain execute:
            # psycopg runs an executemany in pipeline mode, extra synchronisation
            added.update(connection.execute(statement, rows[0] if len(rows) == 1 else rows).scalars())
        return added

    def known_keys(self, keys: Iterable[str]) -> set[str]:
        keys = list(keys)
        found: set[str] = set()
        for start in range(0, len(keys), 900):
            chunk = keys[start : start + 900]
            found.update(
                self.session.scalars(
                    select(NotificationRow.dedupe_key).where(NotificationRow.dedupe_key.in_(chunk))
                )
            )
        return found

    def _claimable(self, now: dt.datetime, due_by: dt.datetime | None = None) -> Select[tuple[int]]:
        return select(NotificationRow.id).where(
            or_(
                and_(
                    NotificationRow.status.in_((PENDING, RETRY)),
                    NotificationRow.next_attempt_at <= (now if due_by is None else due_by),
                ),
                # a dispatcher that died holding a claim: its lease ran out
                and_(NotificationRow.status == SENDING, NotificationRow.claimed_until < now),
            )
        )

    def claim(
        self,
        worker: str,
        *,
        now: dt.datetime,
        lease_until: dt.datetime,
        limit: int,
        due_by: dt.datetime | None = None,
    ) -> list[NotificationRow]:
        """Take up to ``limit`` notifications for this worker: those due by
        ``due_by`` (default ``now``) and those whose dispatcher's lease ran out. On
        PostgreSQL other workers skip the rows locked here (FOR UPDATE SKIP LOCKED);
        SQLite runs claims one at a time (BEGIN IMMEDIATE)."""
        query = self._claimable(now, due_by).order_by(NotificationRow.id).limit(limit)
        if self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = list(self.session.scalars(query))
        if not ids:
            return []
        self.session.execute(
            update(NotificationRow)
            .where(NotificationRow.id.in_(ids))
            .values(status=SENDING, claimed_by=worker, claimed_until=lease_until)
        )
        return list(self.session.scalars(select(NotificationRow).where(NotificationRow.id.in_(ids))))

    def hold(self, worker: str, ids: Sequence[int], *, lease_until: dt.datetime) -> set[int]:
        """Extend this worker's lease on ``ids`` (all its claimed rows when empty);
        returns the ids it still holds — a row taken over by another dispatcher, or
        recorded meanwhile, is not among them."""
        table = NotificationRow.__table__
        query = (
            update(table)
            .where(table.c.status == SENDING, table.c.claimed_by == worker)
            .values(claimed_until=lease_until)
            .returning(table.c.id)
        )
        if ids:
            query = query.where(table.c.id.in_(list(ids)))
        return set(self.session.execute(query).scalars())

    def held(self, worker: str, ids: Sequence[int]) -> dict[int, dt.datetime]:
        """id → lease end of the rows of ``ids`` this worker holds."""
        table = NotificationRow.__table__
        rows = self.session.execute(
            select(table.c.id, table.c.claimed_until).where(
                table.c.id.in_(list(ids)), table.c.status == SENDING, table.c.claimed_by == worker
            )
        )
        return {i: until for i, until in rows if until is not None}

    def due_count(self, now: dt.datetime) -> int:
        from sqlalchemy import func

        return self.session.scalar(select(func.count()).select_from(self._claimable(now).subquery())) or 0


def retry_dead(app: App, ids: list[int] | None) -> int:
    """Send dead-lettered notifications again: attempts reset, due now. Unknown or
    not-dead ids are refused (nothing changes)."""
    from ..models.errors import InvalidInput, NotFound

    now = app.now()
    with app.uow() as uow:
        query = select(NotificationRow).where(NotificationRow.status == DEAD)
        if ids:
            rows = {
                r.id: r
                for r in uow.session.scalars(select(NotificationRow).where(NotificationRow.id.in_(ids)))
            }
            missing = [i for i in ids if i not in rows]
            if missing:
                raise NotFound("unknown notification {notification}", notification=missing[0])
            not_dead = [r for r in rows.values() if r.status != DEAD]
            if not_dead:
                raise InvalidInput(
                    "notification {notification} is {status}, not dead",
                    notification=not_dead[0].id,
                    status=not_dead[0].status,
                )
            targets = list(rows.values())
        else:
            targets = list(uow.session.scalars(query))
        for row in targets:
            row.status = PENDING
            row.attempts = 0
            row.next_attempt_at = now
            row.last_error = None
        uow.commit()
    return len(targets)


def directory_names(session: Session) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(people, streets, districts): id → name, to show audiences by name."""
    from ..db.orm import DistrictRow, PersonRow, StreetRow

    def names(row: Any) -> dict[str, str]:
        return {i: n for i, n in session.execute(select(row.id, row.name))}

    return names(PersonRow), names(StreetRow), names(DistrictRow)
