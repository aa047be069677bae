"""Delivering the outbox.

A dispatcher claims due notifications (a lease: nobody else sends them until it
runs out), drops the ones that no longer hold (the stage moved on since they were
queued), groups each recipient's reminders into one digest message, sends the
messages in parallel on its own pool of ``ACCOMPANY_DISPATCH_CONCURRENCY`` threads,
and records each message's result in its own small transaction as soon as it is
known: sent, retry later with exponential backoff, or dead after the last attempt
(``accompany notifications list --failed`` / ``retry``).

Guarantees: two dispatchers never hold the same row (SKIP LOCKED on PostgreSQL,
serialised claims on SQLite). A dispatcher renews its lease while it works (every
third of the lease) and re-confirms its claim right before each send (extending it
when less than half a lease is left), so a batch that outlasts the lease is never taken over and sent again by
another dispatcher while this one is alive. A dispatcher killed at any point
leaves its claimed rows to be taken over when the lease ends, so nothing is lost;
a channel that accepted a message is never sent it again by a retry. The windows
no outbox can close: a kill after a channel accepted a message and before the
result was committed (milliseconds per in-flight message), and a channel that
timed out — it may have received the message, and a retry sends it again. Every
message carries its references (``ref: N-12``) so a person or a receiving system
recognises such a repeat.

One run sends each row at most once: it takes the rows due when it started (and
rows whose dispatcher died), so a row it put back for a retry waits for a later
run.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select

from ..db.orm import ExtensionRow, NotificationRow, ProjectRow, StageRow
from ..models.events import SYSTEM_ACTOR, Event, EventKind
from ..models.messages import Item, render
from ..models.reminders import (
    ESCALATIONS,
    NO_CHANNEL_PREFIX,
    NO_CHANNEL_SUFFIX,
    StageNow,
    audience_tag,
    occurrence_of,
    stale_reason,
)
from .outbox import DEAD, DROPPED, PENDING, RETRY, SENDING, SENT
from .ports import DeliveryFailed, Notifier

if TYPE_CHECKING:
    from ..bootstrap import App

KIND_ORDER = {
    "escalation-district": 0,
    "escalation-street-office": 1,
    "overdue": 2,
    "due-today": 3,
    "approval-waiting": 4,
    "due-soon": 5,
}


@dataclass(frozen=True)
class Claimed:
    """A claimed row, detached from its session."""

    id: int
    kind: str
    digest: bool
    audience: str
    project_id: int | None
    stage: str | None
    payload: dict
    channels_done: tuple[str, ...]
    attempts: int
    dedupe_key: str = ""


@dataclass
class Message:
    audience: str
    digest: bool
    rows: list[Claimed]

    @property
    def channels_done(self) -> tuple[str, ...]:
        return self.rows[0].channels_done


@dataclass
class DispatchResult:
    quiet: bool = False
    claimed: int = 0
    messages: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    dropped: int = 0
    # delivered to at least one channel, but the result could not be recorded (the
    # claim was lost or the database failed): these may be sent again
    unrecorded: int = 0
    # not sent: the claim was lost before the send (another dispatcher has them)
    released: int = 0
    timeouts: int = 0
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def error(self, text: str) -> None:
        with self._lock:
            self.errors.append(text)

    def summary(self) -> dict[str, object]:
        return {
            "quiet": self.quiet,
            "claimed": self.claimed,
            "messages": self.messages,
            "sent": self.sent,
            "retried": self.retried,
            "dead": self.dead,
            "dropped": self.dropped,
            "unrecorded": self.unrecorded,
            "released": self.released,
            "timeouts": self.timeouts,
            "errors": self.errors[:20],
        }


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def group(rows: list[Claimed]) -> list[Message]:
    """One digest per recipient (and per set of channels already done); event
    notifications one message each."""
    digests: dict[tuple[str, tuple[str, ...]], list[Claimed]] = {}
    messages: list[Message] = []
    for row in rows:
        if row.digest:
            digests.setdefault((row.audience, row.channels_done), []).append(row)
        else:
            messages.append(Message(row.audience, False, [row]))
    for (audience, _), items in digests.items():
        items.sort(key=lambda r: (KIND_ORDER.get(r.kind, 9), r.project_id or 0, r.stage or ""))
        messages.append(Message(audience, True, items))
    return messages


def backoff(app: App, attempts: int) -> dt.timedelta:
    settings = app.settings
    seconds = settings.dispatch_retry_base_seconds * 2 ** max(0, attempts - 1)
    return dt.timedelta(seconds=min(seconds, settings.dispatch_retry_max_seconds))


class Lease:
    """This worker's claim: renewed in the background every third of the lease
    while the run works, and confirmed (and extended) right before each send."""

    def __init__(self, app: App, worker: str):
        self.app, self.worker = app, worker
        self.length = dt.timedelta(seconds=app.settings.dispatch_lease_seconds)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def until(self) -> dt.datetime:
        return self.app.now() + self.length

    def hold(self, ids: list[int]) -> set[int]:
        """The ids of ``ids`` this worker still holds, their lease extended."""
        with self.app.uow() as uow:
            held = uow.outbox.hold(self.worker, ids, lease_until=self.until())
            uow.commit()
        return held

    def confirm(self, ids: list[int]) -> set[int]:
        """Before a send: the ids of ``ids`` this worker still holds with at least
        half a lease to go — a read, extended by a write only when less is left."""
        now = self.app.now()
        table = NotificationRow.__table__
        with self.app.engine.connect() as connection:  # one plain read, no session
            until = {
                i: t
                for i, t in connection.execute(
                    select(table.c.id, table.c.claimed_until).where(
                        table.c.id.in_(ids), table.c.status == SENDING, table.c.claimed_by == self.worker
                    )
                )
                if t is not None
            }
        held = {i for i, t in until.items() if t > now}
        if held and min(until[i] for i in held) < now + self.length / 2:
            with _writer(self.app):
                return self.hold(ids)
        return held

    def _renew(self) -> None:
        interval = max(self.length.total_seconds() / 3, 0.05)
        while not self._stop.wait(interval):
            with suppress(Exception), _writer(self.app):  # a hiccup: the next renewal checks again
                self.hold([])

    @contextmanager
    def renewing(self) -> Iterator[Lease]:
        self._thread = threading.Thread(target=self._renew, name="lease-renewal", daemon=True)
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()


def dispatch(
    app: App, notifier: Notifier, *, worker: str | None = None, max_batches: int | None = None
) -> DispatchResult:
    """Deliver everything due now (as of the app's clock), each row at most once."""
    result = DispatchResult()
    started = app.now()
    if app.quiet.is_quiet(started, app.calendar):
        result.quiet = True
        return result
    worker = worker or worker_name()
    lease = Lease(app, worker)
    batches = 0
    with (
        lease.renewing(),
        ThreadPoolExecutor(
            max_workers=app.settings.dispatch_concurrency, thread_name_prefix="dispatch"
        ) as pool,
    ):
        while max_batches is None or batches < max_batches:
            now = app.now()
            with app.uow() as uow:
                rows = uow.outbox.claim(
                    worker,
                    now=now,
                    due_by=started,
                    lease_until=lease.until(),
                    limit=app.settings.dispatch_batch,
                )
                claimed = [
                    Claimed(
                        r.id,
                        r.kind,
                        r.digest,
                        r.audience,
                        r.project_id,
                        r.stage_key,
                        dict(r.payload),
                        tuple(r.channels_done or ()),
                        r.attempts,
                        r.dedupe_key,
                    )
                    for r in rows
                ]
                uow.commit()
            if not claimed:
                break
            batches += 1
            result.claimed += len(claimed)
            live = _drop_stale(app, claimed, worker, result)
            messages = group(live)
            result.messages += len(messages)
            for future in [pool.submit(_one, app, notifier, m, lease, result) for m in messages]:
                future.result()
    return result


def _drop_stale(app: App, claimed: list[Claimed], worker: str, result: DispatchResult) -> list[Claimed]:
    """Mark the rows that no longer hold as dropped (with the reason) and return
    the others. People are told nothing about a dropped row; the outbox keeps why."""
    pairs = {(c.project_id, c.stage) for c in claimed if c.project_id is not None}
    if not pairs:
        return claimed
    now = app.now()
    with app.uow() as uow:
        session = uow.session
        project_ids = sorted({p for p, _ in pairs if p is not None})
        active = {
            pid: status
            for pid, status in session.execute(
                select(ProjectRow.id, ProjectRow.status).where(ProjectRow.id.in_(project_ids))
            )
        }
        stages: dict[tuple[int, str], StageRow] = {
            (s.project_id, s.key): s
            for s in session.scalars(select(StageRow).where(StageRow.project_id.in_(project_ids)))
        }
        stage_ids = [s.id for s in stages.values()]
        open_requests: dict[int, list[dt.datetime]] = {}
        for stage_id, requested_at in session.execute(
            select(ExtensionRow.stage_id, ExtensionRow.requested_at).where(
                ExtensionRow.stage_id.in_(stage_ids), ExtensionRow.status == "requested"
            )
        ):
            open_requests.setdefault(stage_id, []).append(requested_at)
        live: list[Claimed] = []
        for c in claimed:
            if c.project_id is None:
                live.append(c)
                continue
            stage = stages.get((c.project_id, c.stage or ""))
            facts = StageNow(
                project_active=active.get(c.project_id) == "active",
                state=stage.state if stage else None,
                round=stage.round if stage else 0,
                waiting_for=stage.waiting_for if stage else None,
                due=stage.due_date if stage else None,
                paused=bool(stage and stage.paused_since),
                open_extensions=tuple(open_requests.get(stage.id, ())) if stage else (),
            )
            reason = stale_reason(c.kind, occurrence_of(c.dedupe_key), c.payload, facts)
            if reason is None:
                live.append(c)
                continue
            row = session.get(NotificationRow, c.id)
            if row is None or row.status != SENDING or row.claimed_by != worker:
                continue
            row.status = DROPPED
            row.last_error = f"dropped: {reason}"
            row.claimed_by = None
            row.claimed_until = None
            row.sent_at = None
            row.next_attempt_at = now
            result.add(dropped=1)
        uow.commit()
    return live


def _writer(app: App) -> threading.Lock | nullcontext[None]:
    """SQLite takes one writer at a time and makes the others sleep and poll
    (busy timeout): the pool's threads take turns in-process instead. PostgreSQL
    locks rows, not the database: no turn-taking."""
    if app.engine.dialect.name != "sqlite":
        return nullcontext()
    with _WRITERS_LOCK:
        return _WRITERS.setdefault(str(app.engine.url), threading.Lock())


_WRITERS: dict[str, threading.Lock] = {}
_WRITERS_LOCK = threading.Lock()


def _one(app: App, notifier: Notifier, message: Message, lease: Lease, result: DispatchResult) -> None:
    try:
        done, error, lost, delivered = _deliver(app, notifier, message, lease, result)
    except Exception as exc:  # never leave the run on one message's fault
        result.error(notifier.redact(f"error: {type(exc).__name__}"))
        return
    if lost and not delivered:
        with _writer(app):
            _release(app, message, lease.worker, result)
        return
    if lost:
        error = error or "the claim was lost before every channel was sent"
    try:
        with _writer(app):
            _record(app, notifier, message, done, error, lease.worker, result)
    except Exception as exc:  # the database failed after the send
        result.add(unrecorded=len(message.rows))
        result.error(notifier.redact(f"delivered but not recorded: {type(exc).__name__}"))


def _deliver(
    app: App, notifier: Notifier, message: Message, lease: Lease, result: DispatchResult
) -> tuple[list[str], str | None, set[int], bool]:
    """Send one message to every channel of its audience not done yet; returns the
    channels now done, the error if any channel refused, the rows whose claim was
    lost before a send (nothing more is sent then), and whether anything went out."""
    tag = audience_tag(message.audience)
    channels = notifier.channels(tag)
    done = list(message.channels_done)
    if not channels:
        # kept in English in the outbox and the event log; the edge says it in the
        # reader's words (labels.delivery_error_text)
        return done, f"{NO_CHANNEL_PREFIX}{tag}{NO_CHANNEL_SUFFIX}", set(), False
    items = [Item(r.id, r.kind, r.payload) for r in message.rows]
    title, body = render(items, message.digest, app.lang, app.settings.base_url)
    files = [str(f) for row in message.rows for f in row.payload.get("attachments", [])]
    ids = [r.id for r in message.rows]
    errors = []
    delivered = False
    for channel in channels:
        if channel.key in done:
            continue
        held = lease.confirm(ids)  # re-check the claim (extended if short) before each send
        if held != set(ids):
            return done, None, set(ids) - held, delivered
        try:
            notifier.send(channel, title, body, files)
            done.append(channel.key)
            delivered = True
        except DeliveryFailed as exc:
            if exc.outcome == "timeout":
                result.add(timeouts=1)
            errors.append(notifier.redact(str(exc)))
    return done, "; ".join(errors) or None, set(), delivered


def _release(app: App, message: Message, worker: str, result: DispatchResult) -> None:
    """The claim on some rows of a message was lost before a send: leave those to
    the dispatcher that has them, and put the rest back, due now, untried."""
    now = app.now()
    with app.uow() as uow:
        for claimed in message.rows:
            row = uow.session.get(NotificationRow, claimed.id)
            if row is None or row.status != SENDING or row.claimed_by != worker:
                continue
            row.status = PENDING if row.attempts == 0 else RETRY
            row.claimed_by = None
            row.claimed_until = None
            row.next_attempt_at = now
        uow.commit()
    result.add(released=len(message.rows))


def _record(
    app: App,
    notifier: Notifier,
    message: Message,
    done: list[str],
    error: str | None,
    worker: str,
    result: DispatchResult,
) -> None:
    now = app.now()
    max_attempts = app.settings.dispatch_max_attempts
    error = notifier.redact(error) if error is not None else None
    delivered = len(done) > len(message.channels_done)
    with app.uow() as uow:
        for claimed in message.rows:
            row = uow.session.get(NotificationRow, claimed.id)
            if row is None or row.status != SENDING or row.claimed_by != worker:
                # the claim was lost meanwhile: what went out cannot be recorded
                if delivered:
                    result.add(unrecorded=1)
                continue
            row.attempts += 1
            row.channels_done = list(done)
            row.claimed_by = None
            row.claimed_until = None
            data = {
                "notification": row.id,
                "kind": row.kind,
                "audience": row.audience,
                "escalation": row.kind in {k.value for k in ESCALATIONS},
                "digest_of": len(message.rows),
                "attempts": row.attempts,
            }
            if error is None:
                row.status = SENT
                row.sent_at = now
                row.last_error = None
                result.add(sent=1)
                uow.events.append(
                    row.project_id,
                    [Event(EventKind.NOTIFICATION_SENT, now, SYSTEM_ACTOR, stage=row.stage_key, data=data)],
                )
            elif row.attempts >= max_attempts:
                row.status = DEAD
                row.last_error = error
                result.add(dead=1)
                uow.events.append(
                    row.project_id,
                    [
                        Event(
                            EventKind.NOTIFICATION_DEAD,
                            now,
                            SYSTEM_ACTOR,
                            stage=row.stage_key,
                            data={**data, "error": error},
                        )
                    ],
                )
            else:
                row.status = RETRY
                row.last_error = error
                row.next_attempt_at = now + backoff(app, row.attempts)
                result.add(retried=1)
        uow.commit()
    if error is not None:
        result.error(error)
