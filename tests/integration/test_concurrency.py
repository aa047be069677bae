"""Two people acting on the same stage at the same moment: exactly one wins, the
other gets a conflict error."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from accompany.bootstrap import App
from accompany.models.errors import Conflict
from accompany.services import commands
from accompany.services.commands import AttachmentInput, CompleteStage, DecideApproval


def race(*actions: Callable[[], object]) -> list[BaseException | None]:
    barrier = threading.Barrier(len(actions))
    results: list[BaseException | None] = [None] * len(actions)

    def run(index: int, action: Callable[[], object]) -> None:
        barrier.wait()
        try:
            action()
        except BaseException as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def done(app: App, project_id: int, evidence_file: Path) -> Callable[[], object]:
    return lambda: commands.complete_stage(
        app,
        CompleteStage(
            project_id=project_id,
            stage="needs-survey",
            by="wangrb",
            evidence={"households_interviewed": "32", "observation_days": "4"},
            attachments=[AttachmentInput(key="problem_map", path=str(evidence_file))],
        ),
    )


def test_two_completions_one_wins(people: App, project_id: int, evidence_file: Path) -> None:
    for _ in range(3):
        results = race(done(people, project_id, evidence_file), done(people, project_id, evidence_file))
        winners = [r for r in results if r is None]
        losers = [r for r in results if r is not None]
        if len(winners) == 1:
            break
    assert len(winners) == 1, results
    assert len(losers) == 1 and isinstance(losers[0], Conflict), losers
    with people.reader() as uow:
        events = [e.kind for e in uow.events.for_project(project_id)]
    assert events.count("stage.submitted") == 1


def test_two_approvers_one_wins(people: App, project_id: int, evidence_file: Path) -> None:
    done(people, project_id, evidence_file)()
    approve = [
        lambda who=who: commands.decide_approval(
            people, DecideApproval(project_id=project_id, stage="needs-survey", by=who, decision="approve")
        )
        for who in ("zhaoy", "sunh")
    ]
    results = race(*approve)
    assert sum(r is None for r in results) == 1, results
    loser = next(r for r in results if r is not None)
    assert isinstance(loser, Conflict), loser
    with people.reader() as uow:
        events = [e.kind for e in uow.events.for_project(project_id)]
    assert events.count("stage.approved") == 1
    assert events.count("stage.activated") == 2  # needs-survey at start, needs-list once


def test_approve_and_return_race(people: App, project_id: int, evidence_file: Path) -> None:
    done(people, project_id, evidence_file)()
    results = race(
        lambda: commands.decide_approval(
            people,
            DecideApproval(project_id=project_id, stage="needs-survey", by="zhaoy", decision="approve"),
        ),
        lambda: commands.decide_approval(
            people,
            DecideApproval(
                project_id=project_id, stage="needs-survey", by="sunh", decision="return", comment="补充"
            ),
        ),
    )
    assert sum(r is None for r in results) == 1
    assert all(isinstance(r, Conflict) for r in results if r is not None), results
