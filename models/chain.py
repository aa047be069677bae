"""The event log's hash chain: the rule that makes a changed, removed or re-ordered
record visible.

Every event stores ``hash``, the SHA-256 of its canonical content *and* of the hash
of the event before it (``prev_hash``); the first event follows :data:`GENESIS`. A
record edited after it was written no longer matches its own hash; a record removed
from the middle leaves the next one pointing at a hash that is not its
predecessor's. Pure: no database, no clock — the adapter feeds it rows in id order.

The canonical content is a JSON array (sorted keys, no spaces, UTF-8) of, in order:
a version tag, the kind, the project id, the stage key, the actor, the business
time (UTC, ISO 8601 with microseconds), the state before and after, the event's
data, the channel, the operating-system user, the time it was recorded (so a
back-dated record cannot be made to look recorded on time), and the previous hash. Numbers that
are whole are written as integers (PostgreSQL's JSONB gives ``1e16`` back as
``10000000000000000``), so the same record hashes the same on both databases.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

VERSION = "accompany-event-v1"
#: what the first event of a log follows
GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class ChainRecord:
    """One event as the chain sees it (the columns of a stored row)."""

    id: int
    kind: str
    project_id: int | None
    stage: str | None
    actor: str
    occurred_at: dt.datetime
    before: str | None
    after: str | None
    data: Any
    channel: str | None = None
    os_user: str | None = None
    prev_hash: str | None = None
    hash: str | None = None
    recorded_at: dt.datetime | None = None


def _normal(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _normal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("an event's data cannot hold NaN or infinity")
        if value.is_integer():
            return int(value)
    return value


def canonical_json(value: Any) -> str:
    """``value`` as canonical JSON: sorted keys, no spaces, UTF-8 text, whole numbers
    as integers."""
    return json.dumps(_normal(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def instant_text(moment: dt.datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("event time must be timezone-aware")
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def event_hash(
    *,
    kind: str,
    project_id: int | None,
    stage: str | None,
    actor: str,
    occurred_at: dt.datetime,
    before: str | None,
    after: str | None,
    data: Any,
    channel: str | None,
    os_user: str | None,
    prev_hash: str,
    recorded_at: dt.datetime | None = None,
) -> str:
    """The SHA-256 (hex) of an event's canonical content and its predecessor's hash."""
    content = [
        VERSION,
        kind,
        project_id,
        stage,
        actor,
        instant_text(occurred_at),
        before,
        after,
        data if data is not None else {},
        channel,
        os_user,
        instant_text(recorded_at) if recorded_at is not None else None,
        prev_hash,
    ]
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def record_hash(record: ChainRecord, prev_hash: str | None = None) -> str:
    """The hash ``record`` should carry, after ``prev_hash`` (default: the one it
    stores)."""
    return event_hash(
        kind=record.kind,
        project_id=record.project_id,
        stage=record.stage,
        actor=record.actor,
        occurred_at=record.occurred_at,
        before=record.before,
        after=record.after,
        data=record.data,
        channel=record.channel,
        os_user=record.os_user,
        recorded_at=record.recorded_at,
        prev_hash=record.prev_hash if prev_hash is None else prev_hash,
    )


class Break(StrEnum):
    """What is wrong at a link."""

    CONTENT_CHANGED = "content-changed"  # the record no longer matches its own hash
    LINK_BROKEN = "link-broken"  # it does not follow the record before it
    ROW_MISSING = "row-missing"  # records before it are gone
    UNHASHED = "unhashed"  # it carries no hash (written around the application)


@dataclass(frozen=True, slots=True)
class Finding:
    """The first broken link: the record where the chain stops holding."""

    problem: Break
    record: ChainRecord
    # the record before it in the log (None: it is the first one looked at)
    previous_id: int | None


@dataclass(frozen=True, slots=True)
class Verdict:
    checked: int
    finding: Finding | None
    last_id: int | None
    last_hash: str | None

    @property
    def intact(self) -> bool:
        return self.finding is None


def verify(
    records: Iterable[ChainRecord],
    *,
    anchor_id: int | None = None,
    anchor_hash: str = GENESIS,
) -> Verdict:
    """Walk ``records`` (in id order) and return the first broken link.

    ``anchor_id``/``anchor_hash`` are the record just before the first one given
    (none and :data:`GENESIS` when walking from the start of the log). A record that
    does not follow its predecessor is *row-missing* when ids are skipped between
    them and the first record of a whole log does not follow the genesis; otherwise
    *link-broken*. (PostgreSQL's sequences may skip ids after a rollback: a gap whose
    link holds is not a problem.)"""
    checked = 0
    previous_id, previous_hash = anchor_id, anchor_hash
    for record in records:
        checked += 1
        if not record.hash or not record.prev_hash:
            return Verdict(checked, Finding(Break.UNHASHED, record, previous_id), previous_id, previous_hash)
        if record_hash(record) != record.hash:
            return Verdict(
                checked, Finding(Break.CONTENT_CHANGED, record, previous_id), previous_id, previous_hash
            )
        if record.prev_hash != previous_hash:
            skipped = (previous_id is None and previous_hash == GENESIS) or (
                previous_id is not None and record.id > previous_id + 1
            )
            problem = Break.ROW_MISSING if skipped else Break.LINK_BROKEN
            return Verdict(checked, Finding(problem, record, previous_id), previous_id, previous_hash)
        previous_id, previous_hash = record.id, record.hash
    return Verdict(checked, None, previous_id, previous_hash)
