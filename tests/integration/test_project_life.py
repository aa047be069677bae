"""A project's life on a real database (SQLite, and PostgreSQL when set): suspend,
resume, cancel, hand over, edit — what is stored, what the sweep queues, what the
outbox says, and that a refusal changes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from accompany.bootstrap import App
from accompany.clock import FixedClock, parse_moment
from accompany.db.orm import NotificationRow
from accompany.models.errors import Conflict, InvalidInput, PermissionDenied, RuleViolation
from accompany.services import commands
from accompany.services.commands import (
    CancelProject,
    EditProject,
    HandOverProject,
    ResumeProject,
    SuspendProject,
)
from accompany.services.queries import list_projects, show_project
from accompany.services.reminders import sweep

from ..conftest import start_command
from .test_services import snapshot, survey_done


def outbox(app: App) -> list[NotificationRow]:
    with app.reader() as uow:
        return list(uow.session.scalars(select(NotificationRow).order_by(NotificationRow.id)))


def test_suspend_and_resume_move_the_deadline_by_the_suspended_working_days(
    people: App, project_id: int, clock: FixedClock
) -> None:
    assert show_project(people, project_id).stages[0].timing.due == dt.date(2026, 4, 14)
    clock.moment = parse_moment("2026-03-10T09:00")
    commands.suspend_project(people, SuspendProject(project_id=project_id, by="张磊", reason="资金未到位"))
    detail = show_project(people, project_id)
    assert (detail.status, detail.status_reason, detail.status_by) == ("suspended", "资金未到位", "zhangl")
    assert detail.stages[0].timing.paused
    clock.moment = parse_moment("2026-03-17T09:00")
    outcome = commands.resume_project(people, ResumeProject(project_id=project_id, by="zhangl"))
    assert outcome.kinds()[:3] == ["project.resumed", "stage.clock_resumed", "stage.deadline_changed"]
    detail = show_project(people, project_id, with_events=True)
    assert (detail.status, detail.status_reason) == ("active", None)
    # five working days suspended (Tue 10 – Tue 17 March): the deadline moves by five
    assert detail.stages[0].timing.due == dt.date(2026, 4, 21)
    assert not detail.stages[0].timing.paused


def test_a_suspended_project_gets_no_reminders_until_resumed(
    people: App, project_id: int, clock: FixedClock
) -> None:
    commands.suspend_project(people, SuspendProject(project_id=project_id, by="zhangl", reason="冬季停工"))
    clock.moment = parse_moment("2026-04-20T09:00")  # the old deadline has passed
    result = sweep(people)
    assert result.intents == []
    commands.resume_project(people, ResumeProject(project_id=project_id, by="zhangl"))
    # the clock ran again from today: the stage is not overdue, its new deadline far off
    detail = show_project(people, project_id)
    assert not detail.stages[0].timing.overdue


def test_a_cancelled_project_is_final_and_gets_nothing_from_the_sweep(
    people: App, project_id: int, clock: FixedClock, evidence_file: Path
) -> None:
    clock.moment = parse_moment("2026-03-05T09:00")
    commands.cancel_project(
        people, CancelProject(project_id=project_id, by="zhangl", reason="居民反对，项目撤销")
    )
    clock.moment = parse_moment("2026-04-20T09:00")  # overdue, had it gone on
    assert sweep(people).intents == []
    detail = show_project(people, project_id)
    assert (detail.status, detail.status_reason) == ("cancelled", "居民反对，项目撤销")
    assert not any(s.timing.overdue for s in detail.stages)
    rows, _ = list_projects(people)
    assert (rows[0].status, rows[0].status_reason) == ("cancelled", "居民反对，项目撤销")
    assert list_projects(people, overdue_only=True)[0] == []
    before = snapshot(people)
    for act in (
        lambda: survey_done(people, project_id, evidence_file),
        lambda: commands.resume_project(people, ResumeProject(project_id=project_id, by="zhangl")),
        lambda: commands.suspend_project(
            people, SuspendProject(project_id=project_id, by="zhangl", reason="x")
        ),
        lambda: commands.hand_over_project(
            people, HandOverProject(project_id=project_id, by="zhangl", planner="chenm", note="x")
        ),
    ):
        with pytest.raises(Conflict, match="was cancelled on 2026-03-05 09:00"):
            act()
    assert snapshot(people) == before


def test_after_an_approval_the_coordinator_cannot_cancel_but_the_street_office_can(
    people: App, project_id: int, clock: FixedClock, evidence_file: Path
) -> None:
    clock.moment = parse_moment("2026-03-20T10:00")
    survey_done(people, project_id, evidence_file)
    commands.decide_approval(
        people,
        commands.DecideApproval(project_id=project_id, stage="needs-survey", by="zhaoy", decision="approve"),
    )
    before = snapshot(people)
    with pytest.raises(PermissionDenied, match="only the street office of 太阳宫街道 can cancel it"):
        commands.cancel_project(people, CancelProject(project_id=project_id, by="zhangl", reason="撤销"))
    assert snapshot(people) == before
    commands.cancel_project(people, CancelProject(project_id=project_id, by="zhaoy", reason="撤销"))
    assert show_project(people, project_id).status == "cancelled"
    kinds = {(r.audience, r.kind) for r in outbox(people)}
    assert ("person:wangrb", "project-cancelled") in kinds
    assert ("street-office:taiyanggong", "project-cancelled") in kinds


@pytest.mark.parametrize("reason", ["", "a\x00b", "x" * 5001])
def test_a_bad_reason_changes_nothing(people: App, project_id: int, reason: str) -> None:
    before = snapshot(people)
    with pytest.raises(InvalidInput):
        commands.suspend_project(people, SuspendProject(project_id=project_id, by="zhangl", reason=reason))
    assert snapshot(people) == before


def test_handover_moves_open_stages_and_notifies_both_planners_and_the_street_office(
    people: App, project_id: int, clock: FixedClock, evidence_file: Path
) -> None:
    clock.moment = parse_moment("2026-03-10T09:00")
    outcome = commands.hand_over_project(
        people,
        HandOverProject(project_id=project_id, by="zhangl", planner="陈敏", note="王老师调任，资料已交接"),
    )
    event = outcome.events[0]
    assert (event.kind.value, event.before, event.after) == ("project.handed_over", "wangrb", "chenm")
    detail = show_project(people, project_id)
    assert detail.planner_id == "chenm"
    handed = [r for r in outbox(people) if r.kind == "project-handed-over"]
    assert sorted(r.audience for r in handed) == [
        "person:chenm",
        "person:wangrb",
        "street-office:taiyanggong",
    ]
    assert handed[0].payload["from_name"] == "王若冰" and handed[0].payload["to_name"] == "陈敏"
    # the old planner no longer marks the stage done; the new one does
    with pytest.raises(PermissionDenied, match="only the project's planner"):
        survey_done(people, project_id, evidence_file)
    commands.complete_stage(
        people,
        commands.CompleteStage(
            project_id=project_id,
            stage="needs-survey",
            by="chenm",
            evidence={"households_interviewed": "32", "observation_days": "4"},
            attachments=[commands.AttachmentInput(key="problem_map", path=str(evidence_file))],
        ),
    )


def test_handover_to_a_planner_of_another_street_changes_nothing(people: App, project_id: int) -> None:
    before = snapshot(people)
    with pytest.raises(InvalidInput, match="does not serve"):
        commands.hand_over_project(
            people, HandOverProject(project_id=project_id, by="zhangl", planner="hel", note="x")
        )
    with pytest.raises(PermissionDenied):
        commands.hand_over_project(
            people, HandOverProject(project_id=project_id, by="wangrb", planner="chenm", note="x")
        )
    assert snapshot(people) == before


def test_edit_is_audited_with_before_and_after(people: App, project_id: int) -> None:
    outcome = commands.edit_project(
        people, EditProject(project_id=project_id, by="zhangl", community="太阳宫南社区")
    )
    assert outcome.events[0].data["changes"] == {"community": ["太阳宫北社区", "太阳宫南社区"]}
    assert show_project(people, project_id).community == "太阳宫南社区"


def test_a_project_action_is_not_dated_before_the_projects_history(
    people: App, project_id: int, clock: FixedClock
) -> None:
    clock.moment = parse_moment("2026-03-10T09:00")
    commands.suspend_project(people, SuspendProject(project_id=project_id, by="zhangl", reason="停工"))
    clock.moment = parse_moment("2026-03-09T09:00")
    with pytest.raises(RuleViolation, match="its last recorded event is later"):
        commands.resume_project(people, ResumeProject(project_id=project_id, by="zhangl"))


def test_a_calendar_recheck_takes_in_suspended_projects_and_moves_nothing_when_nothing_changed(
    people: App, clock: FixedClock
) -> None:
    from accompany.services.calendar import sync_calendar

    suspended = commands.start_project(people, start_command(name="暂停")).project_id
    cancelled = commands.start_project(people, start_command(name="撤销")).project_id
    clock.moment = parse_moment("2026-03-10T09:00")
    commands.suspend_project(people, SuspendProject(project_id=suspended, by="zhangl", reason="停工"))
    commands.cancel_project(people, CancelProject(project_id=cancelled, by="zhangl", reason="撤销"))
    sync_calendar(people)  # the first sync records the calendar in force
    before = snapshot(people)
    result = sync_calendar(people, force_all=True)  # the suspended one is looked at, nothing moves
    assert result.deadlines_changed == 0
    assert snapshot(people) == before
