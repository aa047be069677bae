"""Undo (撤回) of a stage's last approval or return on a real database (SQLite, and
PostgreSQL when set): the stage and what the decision caused put back in one
transaction, the undo appended to the hash-chained log, the notifications of the
undone decision withdrawn, the report replaying it as never given."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from accompany.bootstrap import App, build_app
from accompany.clock import FixedClock, parse_moment
from accompany.config.settings import Settings
from accompany.db.orm import ApprovalRow, EventRow, NotificationRow, StageRow
from accompany.models.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from accompany.models.messages import Item, render
from accompany.models.report import Quarter
from accompany.services import commands
from accompany.services.audit import verify_log
from accompany.services.commands import CancelProject, DecideApproval
from accompany.services.delegation import delegate
from accompany.services.queries import show_project
from accompany.services.reports import quarterly_report
from accompany.services.undo import UndoDecision, undo_stage_decision, undoable_stages

from ..conftest import start_command
from .test_services import survey_done


def decide(
    app: App, project_id: int, by: str = "zhaoy", decision: str = "approve", comment: str | None = None
):  # type: ignore[no-untyped-def]
    return commands.decide_approval(
        app,
        DecideApproval(
            project_id=project_id, stage="needs-survey", by=by, decision=decision, comment=comment
        ),
    )


def undo(app: App, project_id: int, by: str = "zhaoy", reason: str = "点错了", stage: str = "needs-survey"):  # type: ignore[no-untyped-def]
    return undo_stage_decision(app, UndoDecision(project_id=project_id, stage=stage, by=by, reason=reason))


def snapshot(app: App) -> tuple:  # type: ignore[type-arg]
    """Everything an undo may change: events, stages, approval records, the outbox."""
    with app.reader() as uow:
        s = uow.session
        return (
            s.scalar(select(func.count()).select_from(EventRow)),
            sorted(tuple(r) for r in s.execute(select(StageRow.id, StageRow.state, StageRow.version))),
            s.scalar(select(func.count()).select_from(ApprovalRow)),
            sorted(tuple(r) for r in s.execute(select(NotificationRow.dedupe_key, NotificationRow.status))),
        )


def outbox(app: App) -> list[tuple[str, str, str]]:
    with app.reader() as uow:
        return [
            (r.kind, r.audience, r.status)
            for r in uow.session.scalars(select(NotificationRow).order_by(NotificationRow.id))
        ]


@pytest.fixture
def submitted(people: App, project_id: int, clock: FixedClock, evidence_file: Path) -> int:
    clock.moment = parse_moment("2026-03-20T10:00")
    survey_done(people, project_id, evidence_file)
    clock.moment = parse_moment("2026-03-23T10:00")
    return project_id


def test_an_approval_undone_puts_the_stages_back_and_is_logged(
    people: App, submitted: int, clock: FixedClock
) -> None:
    decide(people, submitted)
    detail = show_project(people, submitted)
    assert [s.state for s in detail.stages][:2] == ["approved", "in_progress"]
    assert "stage-approved" in [k for k, _, _ in outbox(people)]
    assert undoable_stages(people, submitted, people_get(people, "zhaoy")) == {"needs-survey"}
    assert undoable_stages(people, submitted, people_get(people, "sunh")) == set()

    clock.advance(minutes=10)
    outcome = undo(people, submitted)

    assert outcome.kinds()[0] == "stage.decision_undone"
    detail = show_project(people, submitted, with_events=True)
    assert [s.state for s in detail.stages][:2] == ["submitted", "pending"]
    assert detail.stages[1].timing.due is None  # the deadline counted from the approval is gone
    assert detail.stages[0].waiting_for == "street-office"
    with people.reader() as uow:
        assert uow.session.scalar(select(func.count()).select_from(ApprovalRow)) == 0
        undone = uow.session.scalars(select(EventRow).where(EventRow.kind == "stage.decision_undone")).one()
        approval = uow.session.scalars(select(EventRow).where(EventRow.kind == "stage.approved")).one()
    assert undone.data["undone_event"] == approval.id
    assert undone.data["reason"] == "点错了"
    assert undone.actor == "zhaoy"
    # the log stays append-only and chained
    assert verify_log(people).verdict.intact
    # the planner's "approved" message had not gone out: dropped; the withdrawal queued
    assert ("stage-approved", "person:wangrb", "dropped") in outbox(people)
    assert ("decision-undone", "person:wangrb", "pending") in outbox(people)
    with people.reader() as uow:
        notice = uow.session.scalars(
            select(NotificationRow).where(NotificationRow.kind == "decision-undone")
        ).one()
        item = Item(notice.id, notice.kind, notice.payload)
    title, body = render([item], False, "zh")
    assert "【审批已撤回】" in title and "需求调研" in title
    assert "赵阳" in body and "撤回了此前的审批通过" in body and "点错了" in body
    title, body = render([item], False, "en")
    assert "[Decision withdrawn]" in title and "withdrew the approval" in body and "点错了" in body
    # decided again: announced again (the undone decision's key was set aside)
    clock.advance(minutes=5)
    decide(people, submitted)
    assert [s.state for s in show_project(people, submitted).stages][:2] == ["approved", "in_progress"]
    assert ("stage-approved", "person:wangrb", "pending") in outbox(people)


def people_get(app: App, person_id: str):  # type: ignore[no-untyped-def]
    with app.reader() as uow:
        return uow.people.get(person_id)


def test_a_return_undone_restores_the_submission(people: App, submitted: int, clock: FixedClock) -> None:
    decide(people, submitted, decision="return", comment="照片缺失")
    assert show_project(people, submitted).stages[0].state == "in_progress"
    clock.advance(minutes=1)
    undo(people, submitted)
    stage = show_project(people, submitted).stages[0]
    assert stage.state == "submitted"
    assert stage.round == 1
    assert ("stage-returned", "person:wangrb", "dropped") in outbox(people)
    clock.advance(minutes=1)
    decide(people, submitted)
    assert show_project(people, submitted).stages[0].state == "approved"


@pytest.mark.parametrize(
    ("who", "minutes", "error", "match"),
    [
        ("sunh", 1, PermissionDenied, "only the person who gave it"),
        ("wangrb", 1, PermissionDenied, "only the person who gave it"),
        ("zhaoy", 31, Conflict, "within 30 minutes"),
    ],
)
def test_refusals_change_nothing(
    people: App, submitted: int, clock: FixedClock, who: str, minutes: int, error: type, match: str
) -> None:
    decide(people, submitted)
    clock.advance(minutes=minutes)
    before = snapshot(people)
    with pytest.raises(error, match=match):
        undo(people, submitted, by=who)
    assert snapshot(people) == before


def test_the_window_edge(people: App, submitted: int, clock: FixedClock) -> None:
    decide(people, submitted)
    clock.advance(minutes=30)
    undo(people, submitted)  # the last minute still counts
    assert show_project(people, submitted).stages[0].state == "submitted"


def test_twice_nothing_and_unknowns(people: App, project_id: int, submitted: int, clock: FixedClock) -> None:
    before = snapshot(people)
    with pytest.raises(Conflict, match="no approval or return to undo"):
        undo(people, submitted)
    assert snapshot(people) == before
    decide(people, submitted)
    undo(people, submitted)
    before = snapshot(people)
    with pytest.raises(Conflict, match="already undone"):
        undo(people, submitted)
    with pytest.raises(NotFound):
        undo(people, 999)
    with pytest.raises(NotFound):
        undo(people, submitted, stage="no-such-stage")
    with pytest.raises(InvalidInput, match="needs a reason"):
        undo(people, submitted, reason="  ")
    assert snapshot(people) == before


def test_not_after_the_next_stage_was_acted_on(people: App, submitted: int, clock: FixedClock) -> None:
    decide(people, submitted)
    commands.pause_clock(
        people, commands.PauseClock(project_id=submitted, stage="needs-list", by="zhangl", reason="冬季停工")
    )
    before = snapshot(people)
    with pytest.raises(Conflict, match="no longer the last thing"):
        undo(people, submitted)
    assert snapshot(people) == before


def test_not_on_a_cancelled_project(people: App, submitted: int, clock: FixedClock) -> None:
    decide(people, submitted)
    commands.cancel_project(people, CancelProject(project_id=submitted, by="zhaoy", reason="资金取消"))
    with pytest.raises(Conflict, match="cancelled"):
        undo(people, submitted)


def test_a_substitute_undoes_their_own_decision_not_the_delegator(
    people: App, submitted: int, clock: FixedClock
) -> None:
    delegate(
        people, "zhaoy", to="lij", starts_on=dt.date(2026, 3, 23), ends_on=dt.date(2026, 3, 30), by="zhaoy"
    )
    outcome = decide(people, submitted, by="lij")
    assert outcome.events[0].data["on_behalf_of"] == "zhaoy"
    with pytest.raises(PermissionDenied, match="only the person who gave it"):
        undo(people, submitted, by="zhaoy")
    outcome = undo(people, submitted, by="lij")
    assert outcome.events[0].data["on_behalf_of"] == "zhaoy"
    assert show_project(people, submitted).stages[0].state == "submitted"


def test_the_window_runs_on_the_real_clock_not_a_backdated_now(
    db_url: str, settings: Settings, people: App, submitted: int
) -> None:
    real = FixedClock(parse_moment("2026-03-25T09:00"))
    acting = FixedClock(parse_moment("2026-03-23T10:00"))  # --now two days back
    backfill = build_app(settings, database_url=db_url, clock=acting, wall_clock=real)
    decide(backfill, submitted)
    # recorded 20 minutes ago on the real clock: undone, though --now is days back
    real.advance(minutes=20)
    acting.advance(minutes=1)
    undo(backfill, submitted)
    assert show_project(backfill, submitted).stages[0].state == "submitted"
    acting.advance(minutes=1)
    decide(backfill, submitted)
    # 31 real minutes later it is too late, though --now moved one minute
    real.advance(minutes=31)
    acting.advance(minutes=1)
    with pytest.raises(Conflict, match="within 30 minutes"):
        undo(backfill, submitted)


def test_a_quarter_with_an_approval_and_a_return_undone_counts_as_without(
    people: App, submitted: int, clock: FixedClock
) -> None:
    q1 = Quarter.parse("2026Q1")
    commands.start_project(people, start_command(name="另一个项目"))
    clock.advance(minutes=1)  # the report reads the events before its cut-off (now)
    before = quarterly_report(people, q1)
    decide(people, submitted)
    clock.advance(minutes=5)
    undo(people, submitted)
    clock.advance(minutes=5)
    decide(people, submitted, decision="return", comment="照片缺失")
    clock.advance(minutes=5)
    undo(people, submitted)
    clock.advance(minutes=1)
    after = quarterly_report(people, q1)
    for part in ("summary", "rows", "returns", "worst_overdue", "overdue_trend", "pauses", "extensions"):
        assert getattr(after, part) == getattr(before, part), part
    # and the same decision kept counts (the replay did not skip everything)
    decide(people, submitted)
    clock.advance(minutes=1)
    kept = quarterly_report(people, q1)
    assert kept.summary != before.summary
