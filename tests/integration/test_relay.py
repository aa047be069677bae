"""The relay's cursor on SQLite and PostgreSQL: in id order, in batches, advanced
only once the feed took a batch, never two relays sending one batch at once on
PostgreSQL. The feed here is an in-process recorder; tests/integration/
test_event_feed.py runs the relay against a real Prefect API."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from accompany.bootstrap import App
from accompany.db.orm import EventRow, RelayCursorRow
from accompany.services import commands
from accompany.services.commands import AttachmentInput, CompleteStage, DecideApproval
from accompany.services.ports import FeedUnavailable
from accompany.services.relay import relay, status

from ..conftest import start_command


class Recorder:
    """Takes every batch; refuses while ``down``; may wait on ``gate`` first."""

    def __init__(self, gate: threading.Event | None = None):
        self.batches: list[list[dict[str, Any]]] = []
        self.down = False
        self.gate = gate
        self.entered = threading.Event()

    def send(self, events: Sequence[dict[str, Any]]) -> None:
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(30)
        if self.down:
            raise FeedUnavailable("ConnectError: connection refused")
        self.batches.append(list(events))

    @property
    def ids(self) -> list[int]:
        return [e["payload"]["event_id"] for batch in self.batches for e in batch]


def _log_ids(app: App) -> list[int]:
    with app.reader() as uow:
        return list(uow.session.scalars(select(EventRow.id).order_by(EventRow.id)))


def _lifecycle(app: App, evidence_file: Path) -> int:
    project_id = commands.start_project(app, start_command()).project_id
    assert project_id is not None
    commands.complete_stage(
        app,
        CompleteStage(
            project_id=project_id,
            stage="needs-survey",
            by="wangrb",
            evidence={"households_interviewed": "40", "observation_days": "3"},
            attachments=[AttachmentInput(key="problem_map", path=str(evidence_file))],
        ),
    )
    commands.decide_approval(
        app, DecideApproval(project_id=project_id, stage="needs-survey", by="zhaoy", decision="approve")
    )
    return project_id


def test_relay_sends_every_event_once_in_order_in_batches(people: App, evidence_file: Path) -> None:
    _lifecycle(people, evidence_file)
    log = _log_ids(people)
    assert len(log) > 5
    feed = Recorder()
    result = relay(people, feed, batch=3)
    assert feed.ids == log
    assert [len(b) for b in feed.batches][:-1] == [3] * (len(feed.batches) - 1)
    assert (result.sent, result.cursor, result.pending, result.ok) == (len(log), log[-1], 0, True)
    # nothing new: nothing sent
    again = relay(people, feed, batch=3)
    assert (again.sent, again.batches) == (0, 0) and feed.ids == log
    # a new event goes out next time, alone
    project = commands.start_project(people, start_command(name="第二个项目")).project_id
    newer = [i for i in _log_ids(people) if i > log[-1]]
    assert relay(people, feed).sent == len(newer)
    assert feed.ids == log + newer
    assert feed.batches[-1][0]["resource"]["prefect.resource.id"] == f"accompany.project.{project}"


def test_limit_stops_early_and_the_rest_waits(people: App, evidence_file: Path) -> None:
    _lifecycle(people, evidence_file)
    log = _log_ids(people)
    feed = Recorder()
    first = relay(people, feed, limit=4, batch=3)
    assert (first.sent, first.batches, first.cursor, first.pending) == (4, 2, log[3], len(log) - 4)
    assert feed.ids == log[:4]
    relay(people, feed, batch=3)
    assert feed.ids == log


def test_a_refused_batch_stays_queued(people: App, evidence_file: Path) -> None:
    _lifecycle(people, evidence_file)
    log = _log_ids(people)
    feed = Recorder()
    feed.down = True
    result = relay(people, feed, batch=2)
    assert not result.ok and result.error == "ConnectError: connection refused"
    assert (result.sent, result.cursor, result.pending) == (0, 0, len(log))
    assert status(people) == (0, len(log))
    feed.down = False
    assert relay(people, feed).sent == len(log)
    assert feed.ids == log


def test_a_crash_after_the_feed_took_the_batch_resends_it(people: App, evidence_file: Path) -> None:
    """The feed took the batch, then the relay died before its cursor commit: the
    batch goes again (the feed's event ids make that a no-op in Prefect)."""
    _lifecycle(people, evidence_file)
    log = _log_ids(people)

    class Crashing(Recorder):
        def send(self, events: Sequence[dict[str, Any]]) -> None:
            super().send(events)
            raise SystemExit("killed")

    crashing = Crashing()
    with pytest.raises(SystemExit):
        relay(people, crashing, batch=100)
    assert crashing.ids == log
    assert status(people) == (0, len(log))
    feed = Recorder()
    relay(people, feed)
    assert feed.ids == log
    assert [e["id"] for e in feed.batches[0]] == [e["id"] for e in crashing.batches[0]]


def test_the_command_path_does_not_touch_the_cursor(people: App, evidence_file: Path) -> None:
    with people.reader() as uow:
        before = uow.session.execute(select(RelayCursorRow.name, RelayCursorRow.last_event_id)).all()
    _lifecycle(people, evidence_file)
    with people.reader() as uow:
        after = uow.session.execute(select(RelayCursorRow.name, RelayCursorRow.last_event_id)).all()
    assert before == after == [("prefect", 0)]


@pytest.mark.postgres
def test_two_relays_never_send_the_same_batch_at_once_on_postgresql(people: App, evidence_file: Path) -> None:
    if people.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL locks the cursor row; SQLite relays re-check it (next test)")
    _lifecycle(people, evidence_file)
    log = _log_ids(people)
    gate = threading.Event()
    first = Recorder(gate)
    second = Recorder()
    results: dict[str, Any] = {}
    a = threading.Thread(target=lambda: results.setdefault("a", relay(people, first, batch=100)))
    a.start()
    assert first.entered.wait(30)  # the first relay holds the cursor and is sending
    b = threading.Thread(target=lambda: results.setdefault("b", relay(people, second, batch=100)))
    b.start()
    b.join(2)
    assert b.is_alive() and second.batches == []  # waiting on the cursor's lock
    gate.set()
    a.join(30)
    b.join(30)
    assert first.ids == log and second.ids == []
    assert results["a"].sent == len(log) and results["b"].sent == 0
    assert status(people) == (log[-1], 0)


def test_overlapping_relays_on_sqlite_never_move_the_cursor_back(people: App, evidence_file: Path) -> None:
    if people.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    _lifecycle(people, evidence_file)
    log = _log_ids(people)
    gate = threading.Event()
    slow = Recorder(gate)
    results: dict[str, Any] = {}
    a = threading.Thread(target=lambda: results.setdefault("a", relay(people, slow, batch=100)))
    a.start()
    assert slow.entered.wait(30)
    # the slow relay holds no lock while it sends: commands and other relays go on
    commands.start_project(people, start_command(name="第二个项目"))
    fast = Recorder()
    relay(people, fast, batch=100)
    gate.set()
    a.join(30)
    everything = _log_ids(people)
    assert fast.ids == everything
    assert slow.ids == log  # sent the same batch: Prefect keeps one of each (same ids)
    assert results["a"].sent == 0  # its cursor update found the cursor moved on
    assert status(people) == (everything[-1], 0)
