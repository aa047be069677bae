"""Reminder and escalation decisions, event notifications, quiet hours — pure."""

from __future__ import annotations

import datetime as dt

import pytest

from accompany.models.messages import Item, render
from accompany.models.reminders import (
    NotificationKind,
    ProjectFacts,
    QuietHours,
    StageFacts,
    notifications_for_events,
    reminders_for,
)
from accompany.models.template import ReminderPolicy

from .world import CALENDAR, PEOPLE, at, file, finish_survey, new_project

D = dt.date
POLICY = ReminderPolicy()  # 3 WD before, on the day, every 2 WD overdue, escalate 3 / 10


def facts(**changes: object) -> StageFacts:
    values: dict[str, object] = {
        "project_id": 7,
        "project_name": "口袋公园",
        "district": "chaoyang",
        "street": "taiyanggong",
        "planner": "wangrb",
        "stage": "needs-survey",
        "stage_name": "需求调研",
        "state": "in_progress",
        "due": D(2026, 4, 14),
    }
    values.update(changes)
    return StageFacts(**values)  # type: ignore[arg-type]


def kinds(today: dt.date, **changes: object) -> list[tuple[str, str, str]]:
    return [
        (i.audience, i.kind.value, i.occurrence)
        for i in reminders_for(facts(**changes), today, POLICY, CALENDAR)
    ]


def test_nothing_long_before_the_deadline() -> None:
    assert kinds(D(2026, 4, 1)) == []


def test_due_soon_once_per_threshold_even_when_the_sweep_is_late() -> None:
    # 04-14 is 3 working days after 04-09 (Qingming 04-06 is off)
    assert kinds(D(2026, 4, 9)) == [("person:wangrb", "due-soon", "2026-04-14:before:3")]
    assert kinds(D(2026, 4, 10)) == [("person:wangrb", "due-soon", "2026-04-14:before:3")]  # same key


def test_due_today_then_overdue_periods_and_escalations() -> None:
    assert kinds(D(2026, 4, 14)) == [("person:wangrb", "due-today", "2026-04-14:today")]
    assert kinds(D(2026, 4, 15)) == [("person:wangrb", "overdue", "2026-04-14:late:0")]
    assert kinds(D(2026, 4, 16)) == [("person:wangrb", "overdue", "2026-04-14:late:0")]
    day3 = kinds(D(2026, 4, 17))
    assert ("person:wangrb", "overdue", "2026-04-14:late:1") in day3
    assert ("street-office:taiyanggong", "escalation-street-office", "2026-04-14:escalated") in day3
    day10 = kinds(D(2026, 4, 28))
    assert ("district:chaoyang", "escalation-district", "2026-04-14:escalated") in day10


def test_paused_and_submitted_stages_are_not_overdue() -> None:
    assert kinds(D(2026, 4, 20), paused=True) == []
    assert kinds(D(2026, 4, 20), state="submitted", submitted_on=D(2026, 4, 17), waiting_level=None) == []


def test_approval_waiting_reminds_the_level_it_waits_for() -> None:
    waiting = {"state": "submitted", "submitted_on": D(2026, 4, 1), "waiting_level": "street-office"}
    assert kinds(D(2026, 4, 3), **waiting) == []
    assert kinds(D(2026, 4, 7), **waiting) == [
        ("street-office:taiyanggong", "approval-waiting", "2026-04-01:r1:street-office:wait:0")
    ]
    district_wait = {**waiting, "waiting_level": "district"}
    assert kinds(D(2026, 4, 10), **district_wait)[0][0] == "district:chaoyang"


def test_a_moved_deadline_starts_a_new_series() -> None:
    assert (
        kinds(D(2026, 4, 15))[0][2] != kinds(D(2026, 4, 15), due=D(2026, 4, 14) - dt.timedelta(days=1))[0][2]
    )


def test_event_notifications() -> None:
    project = new_project()
    facts_ = ProjectFacts(
        1,
        project.name,
        "chaoyang",
        "taiyanggong",
        "wangrb",
        "zhangl",
        {s.id: s.name for s in project.template.stages},
    )
    finish_survey(project)
    events = project.return_stage(
        "needs-survey", PEOPLE["zhaoy"], reason="缺少停车点位", now=at("2026-03-23T10:00")
    )
    intents = notifications_for_events(facts_, events)
    assert [(i.audience, i.kind) for i in intents] == [("person:wangrb", NotificationKind.STAGE_RETURNED)]
    assert intents[0].payload["reason"] == "缺少停车点位"


def test_submission_asks_the_first_approval_level() -> None:
    project = new_project()
    facts_ = ProjectFacts(1, project.name, "chaoyang", "taiyanggong", "wangrb", "zhangl", {})
    events = project.complete_stage(
        "needs-survey",
        PEOPLE["wangrb"],
        evidence={"households_interviewed": 31, "observation_days": 3},
        attachments=[file("problem_map")],
        note="请审批",
        now=at("2026-03-20T10:00"),
        calendar=CALENDAR,
    )
    intents = notifications_for_events(facts_, events)
    assert [(i.audience, i.kind.value, i.occurrence) for i in intents] == [
        ("street-office:taiyanggong", "approval-requested", "r1:street-office")
    ]


QUIET = QuietHours(dt.time(20), dt.time(8), non_working_days=True)


def test_quiet_hours_and_non_working_days() -> None:
    assert QUIET.next_allowed(at("2026-04-14T10:00"), CALENDAR) == at("2026-04-14T10:00")
    assert QUIET.next_allowed(at("2026-04-14T21:30"), CALENDAR) == at("2026-04-15T08:00")
    assert QUIET.next_allowed(at("2026-04-15T06:00"), CALENDAR) == at("2026-04-15T08:00")
    # Friday night before Qingming (Sat 04-04 … Mon 04-06 off) → Tuesday morning
    assert QUIET.next_allowed(at("2026-04-03T22:00"), CALENDAR) == at("2026-04-07T08:00")
    # the Spring Festival make-up Saturday is a working day
    assert QUIET.next_allowed(at("2026-02-14T09:00"), CALENDAR) == at("2026-02-14T09:00")
    assert QUIET.is_quiet(at("2026-10-03T10:00"), CALENDAR)
    daytime_only = QuietHours(dt.time(12), dt.time(14), non_working_days=False)
    assert daytime_only.next_allowed(at("2026-10-03T12:30"), CALENDAR) == at("2026-10-03T14:00")


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [
        ("2026-04-14T19:59:59", False),
        ("2026-04-14T20:00:00", True),  # quiet hours start at 20:00 exactly
        ("2026-04-15T07:59:59", True),
        ("2026-04-15T08:00:00", False),  # … and end at 08:00 exactly
    ],
)
def test_quiet_hours_start_and_end_exactly_on_the_minute(moment: str, quiet: bool) -> None:
    assert QUIET.is_quiet(at(moment), CALENDAR) is quiet
    expected = at("2026-04-15T08:00") if quiet else at(moment)
    assert QUIET.next_allowed(at(moment), CALENDAR) == expected


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [("11:59:59", False), ("12:00:00", True), ("13:59:59", True), ("14:00:00", False)],
)
def test_daytime_quiet_hours_start_and_end_exactly_on_the_minute(moment: str, quiet: bool) -> None:
    daytime_only = QuietHours(dt.time(12), dt.time(14), non_working_days=False)
    assert daytime_only.is_quiet(at(f"2026-04-14T{moment}"), CALENDAR) is quiet


def test_digest_message_names_project_stage_deadline_and_next_command() -> None:
    items = [
        Item(1, "due-soon", facts().payload(working_days_left=3)),
        Item(
            2,
            "overdue",
            facts(stage="needs-list", stage_name="需求清单", due=D(2026, 4, 1)).payload(
                working_days_overdue=4
            ),
        ),
    ]
    title, body = render(items, digest=True, lang="zh")
    assert "2 项待办" in title and "1 项逾期" in title
    assert "#7「口袋公园」· 需求调研" in body and "截止 2026-04-14" in body and "剩 3 个工作日" in body
    # the next step is a link to the stage's form, not a shell command
    assert "http://127.0.0.1:8000/projects/7/stages/needs-survey/done" in body
    assert "accompany stage" not in body
    linked = render(items, digest=True, lang="zh", base_url="https://accompany.example.gov.cn")[1]
    assert "https://accompany.example.gov.cn/projects/7/stages/needs-survey/done" in linked
    assert "已逾期 4 个工作日" in body and "北京时间" in body and body.rstrip().endswith("ref: N-1,N-2")
    title_en, body_en = render(items, digest=True, lang="en")
    assert (
        "2 item(s)" in title_en and "3 working days left" in body_en and "4 working days overdue" in body_en
    )
    provisional = render([Item(3, "due-soon", facts(provisional=True).payload(working_days_left=2))], True)[1]
    assert "暂定" in provisional


def test_deadline_on_a_weekend_gets_its_due_soon_reminder() -> None:
    """A set-at-start deadline on Sunday 2026-11-29 has 3 working days left on
    Tuesday 11-24 (regression: the sweep's candidate horizon stopped at Friday)."""
    assert kinds(D(2026, 11, 24), due=D(2026, 11, 29)) == [
        ("person:wangrb", "due-soon", "2026-11-29:before:3")
    ]
