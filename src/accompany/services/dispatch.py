"""Delivering the outbox.

A dispatcher claims due notifications (a lease: nobody else sends them until it
runs out), groups each recipient's reminders into one digest message, sends the
messages concurrently (bounded) through the notifier, and records each message's
result in its own small transaction as soon as it is known: sent, retry later with
exponential backoff, or dead after the last attempt (``accompany notifications
list --failed`` / ``retry``).

Guarantees: two dispatchers never hold the same row (SKIP LOCKED on PostgreSQL,
serialised claims on SQLite); a dispatcher killed at any point leaves its claimed
rows to be taken over when the lease ends, so nothing is lost; a channel that
accepted a message is never sent it again by a retry. The one window no outbox can
close is a kill after a channel accepted a message and before the result was
committed (milliseconds per in-flight message): that message is sent again when
the lease ends. Every message carries its references (``ref: N-12``) so a person or
a receiving system recognises such a repeat.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..db.orm import NotificationRow
from ..models.events import SYSTEM_ACTOR, Event, EventKind
from ..models.messages import Item, render
from ..models.reminders import ESCALATIONS, audience_tag
from .outbox import DEAD, RETRY, SENDING, SENT
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
    errors: list[str] = field(default_factory=list)


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


def dispatch(
    app: App, notifier: Notifier, *, worker: str | None = None, max_batches: int | None = None
) -> DispatchResult:
    """Deliver everything due now (as of the app's clock)."""
    result = DispatchResult()
    if app.quiet.is_quiet(app.now(), app.calendar):
        result.quiet = True
        return result
    worker = worker or worker_name()
    batches = 0
    while max_batches is None or batches < max_batches:
        now = app.now()
        lease_until = now + dt.timedelta(seconds=app.settings.dispatch_lease_seconds)
        with app.uow() as uow:
            rows = uow.outbox.claim(
                worker, now=now, lease_until=lease_until, limit=app.settings.dispatch_batch
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
                )
                for r in rows
            ]
            uow.commit()
        if not claimed:
            break
        batches += 1
        result.claimed += len(claimed)
        messages = group(claimed)
        result.messages += len(messages)
        asyncio.run(_send_all(app, notifier, messages, worker, result))
    return result


async def _send_all(
    app: App, notifier: Notifier, messages: list[Message], worker: str, result: DispatchResult
) -> None:
    limit = asyncio.Semaphore(app.settings.dispatch_concurrency)

    async def one(message: Message) -> None:
        async with limit:
            done, error = await _deliver(app, notifier, message)
        _record(app, message, done, error, worker, result)

    await asyncio.gather(*(one(m) for m in messages))


async def _deliver(app: App, notifier: Notifier, message: Message) -> tuple[list[str], str | None]:
    """Send one message to every channel of its audience not done yet; returns the
    channels now done and the error, if any channel refused."""
    tag = audience_tag(message.audience)
    channels = notifier.channels(tag)
    done = list(message.channels_done)
    if not channels:
        return done, f"no channel is tagged {tag} in the Apprise config"
    items = [Item(r.id, r.kind, r.payload) for r in message.rows]
    title, body = render(items, message.digest, app.lang, app.settings.base_url)
    errors = []
    for channel in channels:
        if channel.key in done:
            continue
        files = [str(f) for row in message.rows for f in row.payload.get("attachments", [])]
        try:
            await notifier.send(channel, title, body, files)
            done.append(channel.key)
        except DeliveryFailed as exc:
            errors.append(str(exc))
    return done, "; ".join(errors) or None


def _record(
    app: App, message: Message, done: list[str], error: str | None, worker: str, result: DispatchResult
) -> None:
    now = app.now()
    max_attempts = app.settings.dispatch_max_attempts
    with app.uow() as uow:
        for claimed in message.rows:
            row = uow.session.get(NotificationRow, claimed.id)
            if row is None or row.status != SENDING or row.claimed_by != worker:
                continue  # the lease ran out and another dispatcher took it over
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
                result.sent += 1
                uow.events.append(
                    row.project_id,
                    [Event(EventKind.NOTIFICATION_SENT, now, SYSTEM_ACTOR, stage=row.stage_key, data=data)],
                )
            elif row.attempts >= max_attempts:
                row.status = DEAD
                row.last_error = error
                result.dead += 1
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
                result.retried += 1
        uow.commit()
    if error is not None:
        result.errors.append(error)
