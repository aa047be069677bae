"""Concurrency at scale (issue 6): hundreds of conflicting commands at once, and
several sweep and dispatch workers over the same due set. Runs on SQLite and on
PostgreSQL (where it matters most: real parallel transactions, row locks,
SKIP LOCKED)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from accompany.bootstrap import App
from accompany.clock import parse_moment
from accompany.db.orm import EventRow, NotificationRow
from accompany.models.errors import Conflict
from accompany.services import commands
from accompany.services.commands import AttachmentInput, CompleteStage, DecideApproval

from ..conftest import start_command
from ..receivers import HttpReceiver, apprise_yaml

pytestmark = pytest.mark.slow


def run_all_at_once(actions: list[Callable[[], object]], workers: int = 24) -> list[BaseException | None]:
    """Start every action behind one barrier so they really overlap."""
    barrier = threading.Barrier(min(workers, len(actions)))

    def run(action: Callable[[], object]) -> BaseException | None:
        with contextlib.suppress(threading.BrokenBarrierError):  # the tail, after the first waves
            barrier.wait(timeout=5)
        try:
            action()
            return None
        except BaseException as exc:
            return exc

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, actions))


def submit(app: App, project_id: int, evidence_file: Path) -> Callable[[], object]:
    return lambda: commands.complete_stage(
        app,
        CompleteStage(
            project_id=project_id,
            stage="needs-survey",
            by="wangrb",
            evidence={"households_interviewed": "31", "observation_days": "3"},
            attachments=[AttachmentInput(key="problem_map", path=str(evidence_file))],
        ),
    )


def test_200_pairs_of_conflicting_commands(people: App, evidence_file: Path) -> None:
    projects = [
        commands.start_project(people, start_command(name=f"项目{i:03d}")).project_id for i in range(200)
    ]
    # 100 pairs: the same planner marks the same stage done twice at once
    done_pairs = projects[:100]
    # 100 pairs: two street-office people decide the same done stage at once
    decide_pairs = projects[100:]
    for project_id in decide_pairs:
        submit(people, project_id, evidence_file)()
    actions: list[Callable[[], object]] = []
    for project_id in done_pairs:
        actions += [submit(people, project_id, evidence_file)] * 2
    for project_id in decide_pairs:
        actions += [
            lambda p=project_id: commands.decide_approval(
                people, DecideApproval(project_id=p, stage="needs-survey", by="zhaoy", decision="approve")
            ),
            lambda p=project_id: commands.decide_approval(
                people,
                DecideApproval(
                    project_id=p, stage="needs-survey", by="sunh", decision="return", comment="补充"
                ),
            ),
        ]
    results = run_all_at_once(actions)
    for index in range(0, len(actions), 2):
        pair = results[index : index + 2]
        assert sum(r is None for r in pair) == 1, (index, pair)
        loser = next(r for r in pair if r is not None)
        assert isinstance(loser, Conflict), loser
    with people.reader() as uow:
        kinds = Counter(
            (e.project_id, e.kind)
            for e in uow.session.scalars(select(EventRow).where(EventRow.project_id.in_(projects)))
        )
    for project_id in done_pairs:
        assert kinds[(project_id, "stage.submitted")] == 1
    for project_id in decide_pairs:
        assert kinds[(project_id, "stage.approved")] + kinds[(project_id, "stage.returned")] == 1


def test_four_sweepers_then_four_dispatchers_deliver_each_message_once(
    people: App, db_url: str, tmp_path: Path, http: HttpReceiver
) -> None:
    for index in range(40):
        commands.start_project(people, start_command(name=f"项目{index:03d}"))
    config = tmp_path / "apprise.yaml"
    config.write_text(
        apprise_yaml(
            {http.url("all"): "person-wangrb, person-zhangl, street-office-taiyanggong, district-chaoyang"}
        ),
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "ACCOMPANY_DATABASE_URL": db_url,
        "ACCOMPANY_HOME": str(people.settings.home),
        "ACCOMPANY_CALENDAR_DIR": str(people.settings.calendar_dir),
        "ACCOMPANY_APPRISE_CONFIG": str(config),
        "ACCOMPANY_DISPATCH_BATCH": "7",  # small claims, so the workers interleave
    }

    def four(*args: str) -> list[subprocess.CompletedProcess[str]]:
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "accompany", *args],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(4)
        ]
        outputs = [p.communicate(timeout=300) for p in procs]
        return [
            subprocess.CompletedProcess(p.args, p.returncode, o, e)
            for p, (o, e) in zip(procs, outputs, strict=True)
        ]

    # 2026-04-17: every needs-survey is 3 working days overdue → overdue + escalation
    for result in four("reminders", "run", "--now", "2026-04-17T09:00"):
        assert result.returncode == 0, result.stderr
    http.delay = 0.003
    for result in four("notifications", "dispatch", "--now", "2026-04-17T09:30"):
        assert result.returncode == 0, result.stderr
    with people.reader() as uow:
        rows = list(uow.session.scalars(select(NotificationRow)))
    # 40 projects x 3 start notifications + 40 overdue reminders + 40 escalations
    assert len(rows) == 200 and {r.status for r in rows} == {"sent"}
    delivered = Counter(ref for r in http.delivered for ref in r.refs)
    assert set(delivered) == {r.id for r in rows}
    assert max(delivered.values()) == 1, [ref for ref, n in delivered.items() if n > 1]
    assert max(r.sent_at for r in rows) == parse_moment("2026-04-17T09:30")
