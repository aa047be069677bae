"""The event log's hash chain on SQLite and PostgreSQL: a clean log verifies; a
record changed or removed behind the application's back (triggers lifted, as only the
database owner can) is named; the daily sweep alerts the districts once per
breakage; concurrent writers never fork the chain."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

from sqlalchemy import Engine, select, text

from accompany.bootstrap import App
from accompany.db.engine import make_engine
from accompany.db.orm import EventRow, NotificationRow
from accompany.db.schema import append_only_problems, downgrade, restore_append_only, upgrade
from accompany.models import chain
from accompany.models.events import SYSTEM_ACTOR, Event, EventKind
from accompany.services import commands
from accompany.services.audit import verify_log
from accompany.services.commands import AttachmentInput, CompleteStage
from accompany.services.reminders import sweep

from ..conftest import start_command


def _some_history(app: App, project_id: int, evidence_file: Path) -> None:
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
    other = start_command(name="酒仙桥社区花园", street="jiuxianqiao", planner="chenm", by="liuq")
    commands.start_project(app, other)


def _ids(app: App) -> list[int]:
    with app.reader() as uow:
        return list(uow.session.scalars(select(EventRow.id).order_by(EventRow.id)))


def _behind_the_back(engine: Engine, statement: str, **params: object) -> None:
    """Run ``statement`` on the event table with its append-only triggers lifted, as
    the database owner could: SQLite — drop the triggers (they stay dropped, as an
    intruder would leave them); PostgreSQL — disable them around the statement."""
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS event_no_update")
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS event_no_delete")
            connection.execute(text(statement), params)
        else:
            connection.exec_driver_sql("ALTER TABLE event DISABLE TRIGGER USER")
            connection.execute(text(statement), params)
            connection.exec_driver_sql("ALTER TABLE event ENABLE TRIGGER USER")


def test_a_clean_log_verifies(people: App, project_id: int, evidence_file: Path) -> None:
    _some_history(people, project_id, evidence_file)
    ids = _ids(people)
    report = verify_log(people)
    assert report.intact, report.to_dict()
    assert (report.verdict.checked, report.verdict.last_id) == (len(ids), ids[-1])
    assert report.triggers == []
    # every event links to the one before it, the first to the genesis
    with people.reader() as uow:
        rows = uow.session.execute(select(EventRow.prev_hash, EventRow.hash).order_by(EventRow.id)).all()
    assert rows[0].prev_hash == chain.GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(rows))
    tail = verify_log(people, tail=3)
    assert tail.intact and tail.verdict.checked == 3


def test_the_migration_backfills_the_same_chain(
    db_url: str, people: App, project_id: int, evidence_file: Path
) -> None:
    _some_history(people, project_id, evidence_file)
    with people.reader() as uow:
        before = uow.session.execute(select(EventRow.id, EventRow.hash).order_by(EventRow.id)).all()
    engine = make_engine(db_url)
    downgrade(engine, "0004")
    upgrade(engine)  # 0005 back-fills past the triggers, then restores them
    with engine.connect() as connection:
        assert append_only_problems(connection) == []
    engine.dispose()
    with people.reader() as uow:
        after = uow.session.execute(select(EventRow.id, EventRow.hash).order_by(EventRow.id)).all()
    # the back-fill hashes each stored row exactly as the application did when it wrote it
    assert after == before
    assert verify_log(people).intact


def test_a_changed_record_is_named(people: App, project_id: int, evidence_file: Path) -> None:
    _some_history(people, project_id, evidence_file)
    ids = _ids(people)
    target = ids[3]
    _behind_the_back(people.engine, "UPDATE event SET actor = 'someone-else' WHERE id = :id", id=target)
    report = verify_log(people)
    assert not report.intact
    assert report.finding is not None
    assert (report.finding.record.id, report.finding.problem) == (target, chain.Break.CONTENT_CHANGED)
    assert report.project_name == "太阳宫北街口袋公园更新"
    assert report.verdict.checked == 4
    if people.engine.dialect.name == "sqlite":
        # the dropped triggers are reported, and put back (once) by `db upgrade`'s helper
        assert report.triggers == [("event_no_update", "missing"), ("event_no_delete", "missing")]
        with people.engine.begin() as connection:
            assert len(restore_append_only(connection)) == 2
        with people.engine.begin() as connection:
            assert restore_append_only(connection) == []
    assert verify_log(people).triggers == []
    # only the newest events: the change lies before them
    assert verify_log(people, tail=len(ids) - target).intact


def test_a_removed_record_is_named(people: App, project_id: int, evidence_file: Path) -> None:
    _some_history(people, project_id, evidence_file)
    ids = _ids(people)
    _behind_the_back(people.engine, "DELETE FROM event WHERE id = :id", id=ids[4])
    finding = verify_log(people).finding
    assert finding is not None
    assert (finding.record.id, finding.problem, finding.previous_id) == (
        ids[5],
        chain.Break.ROW_MISSING,
        ids[3],
    )
    # the first records removed: the new first one does not follow the genesis
    _behind_the_back(people.engine, "DELETE FROM event WHERE id <= :id", id=ids[1])
    finding = verify_log(people).finding
    assert finding is not None
    assert (finding.record.id, finding.problem) == (ids[2], chain.Break.ROW_MISSING)
    assert finding.previous_id is None


def test_a_rechained_record_is_a_broken_link(people: App, project_id: int, evidence_file: Path) -> None:
    """A record re-hashed to be consistent in itself but linked to a made-up
    predecessor: its content holds, its link does not."""
    _some_history(people, project_id, evidence_file)
    ids = _ids(people)
    with people.reader() as uow:
        row = uow.session.get(EventRow, ids[2])
        assert row is not None
        record = chain.ChainRecord(
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
        )
    forged_prev = "f" * 64
    _behind_the_back(
        people.engine,
        "UPDATE event SET prev_hash = :prev, hash = :hash WHERE id = :id",
        prev=forged_prev,
        hash=chain.record_hash(record, forged_prev),
        id=ids[2],
    )
    finding = verify_log(people).finding
    assert finding is not None
    assert (finding.record.id, finding.problem, finding.previous_id) == (
        ids[2],
        chain.Break.LINK_BROKEN,
        ids[1],
    )


def test_the_sweep_alerts_the_districts_once(people: App, project_id: int, evidence_file: Path) -> None:
    _some_history(people, project_id, evidence_file)
    clean = sweep(people)
    assert clean.audit is not None and clean.audit.intact and clean.audit_alerts == 0
    target = _ids(people)[2]
    _behind_the_back(
        people.engine, "UPDATE event SET occurred_at = occurred_at WHERE id = :id", id=target
    )  # no change: still intact
    assert verify_log(people).finding is None
    _behind_the_back(people.engine, "UPDATE event SET kind = 'stage.approved' WHERE id = :id", id=target)
    first = sweep(people)
    assert first.audit is not None and first.audit.finding is not None
    assert first.audit.finding.record.id == target
    assert first.audit_alerts == 2  # the two districts of the directory
    again = sweep(people)
    assert again.audit_alerts == 0
    with people.reader() as uow:
        alerts = list(
            uow.session.scalars(select(NotificationRow).where(NotificationRow.kind == "audit-broken"))
        )
        recorded = list(
            uow.session.scalars(select(EventRow).where(EventRow.kind == EventKind.AUDIT_BROKEN.value))
        )
    assert sorted(a.audience for a in alerts) == ["district:chaoyang", "district:dongcheng"]
    assert alerts[0].payload["event_id"] == target
    assert alerts[0].payload["problem"] == "content-changed"
    assert len(recorded) == 1 and recorded[0].data["event_id"] == target
    # the alert reads well in both languages
    from accompany.models.messages import Item, render

    item = Item(alerts[0].id, alerts[0].kind, alerts[0].payload)
    title, body = render([item], digest=False, lang="en")
    assert f"event #{target}" in title and "content changed after it was written" in body
    title, body = render([item], digest=False, lang="zh")
    assert f"事件 #{target}" in title and "内容在写入后被改动" in body


def test_concurrent_writers_do_not_fork_the_chain(people: App) -> None:
    """Eight writers appending at once (on PostgreSQL really in parallel; SQLite runs
    them one after another): every event links to a distinct predecessor, and the
    chain verifies."""
    writers, rounds = 8, 15
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            barrier.wait()
            for i in range(rounds):
                with people.uow() as uow:
                    now = people.now()
                    uow.events.append(
                        None, [Event(EventKind.CALENDAR_CHANGED, now, SYSTEM_ACTOR, data={"w": n, "i": i})]
                    )
                    uow.events.append(
                        None, [Event(EventKind.CALENDAR_CHANGED, now, SYSTEM_ACTOR, data={"w": n, "i": -i})]
                    )
                    uow.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with people.reader() as uow:
        links = list(uow.session.scalars(select(EventRow.prev_hash)))
    assert len(links) == len(set(links))  # no two events follow the same one
    report = verify_log(people)
    assert report.intact, report.to_dict()
    assert report.verdict.checked == len(links) >= writers * rounds * 2


def test_data_hashes_the_same_after_a_round_trip(people: App) -> None:
    """What JSONB (PostgreSQL) or JSON text (SQLite) gives back hashes as written:
    key order, whole and fractional numbers, exponents, Unicode, nesting."""
    data = {
        "z": 1,
        "a": [0.1, 2 / 3, 1e16, 1.5e-7, 40.0, -0.0, 2**53 + 1, True, None],
        "文字": {"嵌套": "问题地图 ✓", "b": {"c": []}},
        "ratio": 0.6666666666666666,
    }
    with people.uow() as uow:
        uow.events.append(None, [Event(EventKind.CALENDAR_CHANGED, people.now(), SYSTEM_ACTOR, data=data)])
        uow.commit()
    report = verify_log(people)
    assert report.intact, report.to_dict()


def test_a_waiting_appender_links_to_the_event_committed_while_it_waited(people: App) -> None:
    """The chain's head is taken with the lock (on PostgreSQL one query of two
    statements): an appender that waited for the lock reads the event its holder
    committed meanwhile, not the head as it was when it started waiting."""
    with people.uow() as first:
        first.events.append(
            None, [Event(EventKind.CALENDAR_CHANGED, people.now(), SYSTEM_ACTOR, data={"n": 1})]
        )
        holder_hash = first.session.scalar(select(EventRow.hash).order_by(EventRow.id.desc()).limit(1))
        waited: list[str] = []

        def second() -> None:
            with people.uow() as uow:
                uow.session.execute(select(1))  # the transaction has begun before the wait
                uow.events.lock_head()
                assert uow.events._head is not None
                waited.append(uow.events._head[1])

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=1.0)
        # waiting: for the chain's lock (PostgreSQL), for the writer (SQLite's BEGIN IMMEDIATE)
        assert thread.is_alive()
        first.commit()
        thread.join(timeout=30)
    assert waited == [holder_hash]
