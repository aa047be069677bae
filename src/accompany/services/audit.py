"""Checking the event log: its hash chain (`accompany audit verify`, the daily sweep)
and the append-only triggers that guard it.

The walk reads the rows in id order in one read-only snapshot, in pages, and hands
them to the pure rule (:func:`accompany.models.chain.verify`); this module finds the
names people read for the first broken link and, for the sweep, raises the alert
through the outbox — once per breakage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from ..db.orm import EventRow, ProjectRow
from ..db.schema import append_only_problems
from ..models import chain
from ..models.deadlines import LOCAL_TZ
from ..models.events import SYSTEM_ACTOR, Event, EventKind
from ..models.reminders import Intent, NotificationKind
from ..models.reminders import district as district_audience

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..bootstrap import App

PAGE = 2000
#: how many of the newest events the daily sweep checks
SWEEP_TAIL = 1000
E = EventRow.__table__
_COLUMNS = (
    E.c.id,
    E.c.kind,
    E.c.project_id,
    E.c.stage_key,
    E.c.actor,
    E.c.occurred_at,
    E.c.before_state,
    E.c.after_state,
    E.c.data,
    E.c.channel,
    E.c.os_user,
    E.c.recorded_at,
    E.c.prev_hash,
    E.c.hash,
)


@dataclass
class AuditReport:
    """What a verification found."""

    verdict: chain.Verdict
    tail: int | None = None
    # (trigger, "missing" | "disabled")
    triggers: list[tuple[str, str]] = field(default_factory=list)
    project_name: str | None = None

    @property
    def intact(self) -> bool:
        return self.verdict.intact and not self.triggers

    @property
    def finding(self) -> chain.Finding | None:
        return self.verdict.finding

    def occurrence(self) -> str | None:
        """What identifies this breakage (the alert is raised once per occurrence)."""
        f = self.finding
        return None if f is None else f"event-{f.record.id}:{f.problem.value}"

    def to_dict(self) -> dict[str, Any]:
        f = self.finding
        return {
            "intact": self.intact,
            "checked": self.verdict.checked,
            "tail": self.tail,
            "newest_id": self.verdict.last_id if f is None else None,
            "broken": None
            if f is None
            else {
                "event_id": f.record.id,
                "problem": f.problem.value,
                "previous_id": f.previous_id,
                "kind": f.record.kind,
                "project_id": f.record.project_id,
                "project": self.project_name,
                "occurred_at": f.record.occurred_at.isoformat(),
            },
            "triggers": [{"trigger": name, "problem": problem} for name, problem in self.triggers],
        }


def _record(row: Any) -> chain.ChainRecord:
    return chain.ChainRecord(
        id=row.id,
        kind=row.kind,
        project_id=row.project_id,
        stage=row.stage_key,
        actor=row.actor,
        occurred_at=row.occurred_at,
        before=row.before_state,
        after=row.after_state,
        data=row.data,
        channel=row.channel,
        os_user=row.os_user,
        recorded_at=row.recorded_at,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def _records(session: Session, first_id: int) -> Iterator[chain.ChainRecord]:
    after = first_id - 1
    while True:
        rows = session.execute(select(*_COLUMNS).where(E.c.id > after).order_by(E.c.id).limit(PAGE)).all()
        for row in rows:
            yield _record(row)
        if len(rows) < PAGE:
            return
        after = rows[-1].id


def check(session: Session, tail: int | None = None) -> AuditReport:
    """Verify the chain — the whole log, or its newest ``tail`` events (trusting the
    hash of the event just before them) — and the append-only triggers."""
    first_id = 1
    anchor_id: int | None = None
    anchor_hash = chain.GENESIS
    if tail is not None:
        start = session.scalar(select(E.c.id).order_by(E.c.id.desc()).offset(tail - 1).limit(1))
        if start is not None:
            first_id = start
            anchor = session.execute(
                select(E.c.id, E.c.hash).where(E.c.id < start).order_by(E.c.id.desc()).limit(1)
            ).first()
            if anchor is not None:
                anchor_id, anchor_hash = anchor.id, anchor.hash or ""
    else:
        first_id = session.scalar(select(E.c.id).order_by(E.c.id).limit(1)) or 1
    verdict = chain.verify(_records(session, first_id), anchor_id=anchor_id, anchor_hash=anchor_hash)
    report = AuditReport(verdict, tail=tail, triggers=append_only_problems(session.connection()))
    if verdict.finding is not None and verdict.finding.record.project_id is not None:
        report.project_name = session.scalar(
            select(ProjectRow.name).where(ProjectRow.id == verdict.finding.record.project_id)
        )
    return report


def verify_log(app: App, tail: int | None = None) -> AuditReport:
    with app.reader() as uow:
        return check(uow.session, tail)


def local_time(moment: dt.datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def raise_alert(app: App, report: AuditReport) -> int:
    """For a broken chain: record an ``audit.broken`` event and queue an alert to the
    district supervisors of every district in the directory (tag district-<id>) —
    once per breakage (the same first broken link on the next sweep adds nothing).
    Returns how many alerts were new."""
    occurrence = report.occurrence()
    finding = report.finding
    if occurrence is None or finding is None:
        return 0
    record = finding.record
    payload = {
        "event_id": record.id,
        "previous_id": finding.previous_id,
        "problem": finding.problem.value,
        "kind": record.kind,
        "project_id": record.project_id,
        "project": report.project_name,
        "occurred": local_time(record.occurred_at),
        "checked": report.verdict.checked,
    }
    now = app.now()
    with app.uow() as uow:
        # the chain's head first: two sweeps at once record the event once
        uow.events.lock_head()
        intents = [
            Intent(district_audience(d.id), NotificationKind.AUDIT_BROKEN, None, None, occurrence, payload)
            for d in uow.people.districts()
        ]
        added = uow.outbox.queue_new(intents, now=now, not_before=app.quiet.next_allowed(now, app.calendar))
        seen = any(
            (data or {}).get("occurrence") == occurrence
            for data in uow.session.scalars(select(E.c.data).where(E.c.kind == EventKind.AUDIT_BROKEN.value))
        )
        if not seen:
            uow.events.append(
                None,
                [
                    Event(
                        EventKind.AUDIT_BROKEN, now, SYSTEM_ACTOR, data={**payload, "occurrence": occurrence}
                    )
                ],
            )
        uow.commit()
    return len(added)
