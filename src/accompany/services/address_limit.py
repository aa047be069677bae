"""The per-address limit on residents' answers from the public page (ballots, survey
answers, comments, needs), shared by every server process through the database:
with four workers an address still gets ``ACCOMPANY_BALLOTS_PER_MINUTE`` answers a
minute, not four times as many. (Page views keep a cheap in-memory limit per
process: ``web.security.AddressThrottle``.)

Each accepted answer leaves one ``address_hit`` row; an answer is refused while the
address has ``limit`` rows in the last ``window``. Rows older than the window are
pruned as answers come in. On PostgreSQL a transaction-level advisory lock per
address makes count-then-insert exact across processes (SQLite's writers take the
database's write lock at BEGIN, which does the same)."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select

from ..db.orm import AddressHitRow

if TYPE_CHECKING:
    from ..bootstrap import App

WINDOW = dt.timedelta(minutes=1)
#: old rows deleted by one answer at most (the rest by the next answers)
PRUNE_BATCH = 500
#: the advisory-lock namespace (first key) of the address limit
_LOCK_NAMESPACE = 70112026


def admit(app: App, address: str, limit: int, *, window: dt.timedelta = WINDOW) -> bool:
    """True (and the answer counted) when ``address`` has had fewer than ``limit``
    answers accepted in the last ``window``; False, nothing counted, otherwise. One
    short transaction, its own: a refused or failing answer keeps its hit."""
    now = app.real_now()
    since = now - window
    key = address[:64]
    with app.uow() as uow:
        session = uow.session
        if session.get_bind().dialect.name == "postgresql":
            session.execute(select(func.pg_advisory_xact_lock(_LOCK_NAMESPACE, _lock_key(key))))
        # rows another process is pruning right now are skipped, never waited for
        stale = (
            select(AddressHitRow.id)
            .where(AddressHitRow.at <= since)
            .limit(PRUNE_BATCH)
            .with_for_update(skip_locked=True)
        )
        session.execute(delete(AddressHitRow).where(AddressHitRow.id.in_(stale)))
        recent = session.scalar(
            select(func.count())
            .select_from(AddressHitRow)
            .where(AddressHitRow.address == key, AddressHitRow.at > since)
        )
        allowed = (recent or 0) < limit
        if allowed:
            session.add(AddressHitRow(address=key, at=now))
        uow.commit()
    return allowed


def _lock_key(address: str) -> int:
    """The address as a 32-bit signed lock key (pg_advisory_xact_lock(int, int))."""
    return int.from_bytes(hashlib.sha256(address.encode()).digest()[:4], "big", signed=True)
