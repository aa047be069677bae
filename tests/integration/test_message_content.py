"""What people read: names, never ids; what they need next (the first deadline,
the stage's deadline, the next stage and its deadline, the new deadline) and the
right next step for the stage (its form; an upload where its evidence is files)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from accompany.bootstrap import App
from accompany.clock import FixedClock, parse_moment
from accompany.models.messages import Item, render
from accompany.models.reminders import ProjectFacts, StageInfo, notifications_for_events
from accompany.notifications.fake import FakeNotifier
from accompany.services import commands
from accompany.services.commands import CompleteStage, DecideApproval
from accompany.services.dispatch import dispatch
from accompany.services.queries import show_project
from accompany.services.reminders import sweep

from ..conftest import start_command

IDS = re.compile(r"\b(wangrb|zhangl|zhaoy|taiyanggong|chaoyang)\b")


def fake() -> FakeNotifier:
    return FakeNotifier(
        tags={
            "person-wangrb": ["planner"],
            "street-office-taiyanggong": ["street"],
            "person-zhangl": ["coordinator"],
            "district-chaoyang": ["district"],
        }
    )


def last(notifier: FakeNotifier, key: str) -> tuple[str, str]:
    _, title, body = [m for m in notifier.sent if m[0] == key][-1]
    return title, body


def due_of(app: App, project_id: int, stage: str) -> str:
    found = next(s for s in show_project(app, project_id).stages if s.key == stage)
    assert found.timing.due is not None
    return found.timing.due.isoformat()


def test_event_messages_say_what_comes_next_by_name(
    people: App, clock: FixedClock, evidence_file: Path
) -> None:
    notifier = fake()
    project_id = commands.start_project(people, start_command()).project_id
    assert project_id is not None
    dispatch(people, notifier)
    _, started = last(notifier, "planner")
    first_due = due_of(people, project_id, "needs-survey")
    assert f"第一阶段「需求调研」截止 {first_due}" in started
    assert f"/projects/{project_id}/stages/needs-survey/done" in started
    assert "王若冰" in started and "太阳宫街道" in started

    clock.moment = parse_moment("2026-03-20T10:00")
    commands.complete_stage(
        people,
        CompleteStage(
            project_id=project_id,
            stage="needs-survey",
            by="wangrb",
            evidence={"households_interviewed": "33", "observation_days": "4"},
            attachments=[commands.AttachmentInput(key="problem_map", path=str(evidence_file))],
        ),
    )
    dispatch(people, notifier)
    title, asked = last(notifier, "street")
    assert "待审批" in title and f"阶段截止 {first_due}" in asked and "王若冰" in asked

    clock.moment = parse_moment("2026-03-23T10:00")
    commands.decide_approval(
        people, DecideApproval(project_id=project_id, stage="needs-survey", by="zhaoy", decision="approve")
    )
    dispatch(people, notifier)
    title, approved = last(notifier, "planner")
    next_due = due_of(people, project_id, "needs-list")
    assert "已通过" in title
    assert f"下一阶段「需求清单（清单式/菜单式）」截止 {next_due}" in approved
    assert "/stages/needs-list/done" in approved

    commands.request_extension(
        people,
        commands.RequestExtension(
            project_id=project_id, stage="needs-list", by="wangrb", working_days=5, reason="居民外出"
        ),
    )
    dispatch(people, notifier)
    _, requested = last(notifier, "street")
    assert "王若冰" in requested and f"现截止 {next_due}" in requested
    commands.decide_extension(
        people,
        commands.DecideExtension(project_id=project_id, stage="needs-list", by="zhaoy", grant=True),
    )
    dispatch(people, notifier)
    title, decided = last(notifier, "planner")
    new_due = due_of(people, project_id, "needs-list")
    assert new_due != next_due and f"新的截止日期 {new_due}" in decided
    for key in ("planner", "street", "coordinator"):
        for _, title, body in (m for m in notifier.sent if m[0] == key):
            assert not IDS.search(title + body), (title, body)


def test_reminders_and_escalations_name_people_and_places(people: App, clock: FixedClock) -> None:
    commands.start_project(people, start_command())
    notifier = fake()
    dispatch(people, notifier)
    clock.moment = parse_moment("2026-04-28T09:00")  # 10 working days overdue
    sweep(people)
    dispatch(people, notifier)
    _, district = last(notifier, "district")
    assert "升级至区" in district and "太阳宫街道" in district and "王若冰" in district
    _, street = last(notifier, "street")
    assert "督办" in street and "王若冰" in street
    for _, title, body in notifier.sent:
        assert not IDS.search(title + body), body


def _facts(stage_infos: tuple[StageInfo, ...]) -> ProjectFacts:
    return ProjectFacts(
        1,
        "太阳宫北街口袋公园更新",
        "chaoyang",
        "taiyanggong",
        "wangrb",
        "zhangl",
        {s.id: s.name for s in stage_infos},
        planner_name="王若冰",
        street_name="太阳宫街道",
        district_name="朝阳区",
        stages=stage_infos,
    )


def test_the_next_step_of_an_attachment_only_stage_is_an_upload() -> None:
    from accompany.models.events import Event, EventKind

    stages = (
        StageInfo("needs-list", "需求清单", "List of needs", dt.date(2026, 4, 30)),
        StageInfo(
            "design-proposal", "方案设计", "Design proposal", dt.date(2026, 6, 1), attachment_only=True
        ),
    )
    approved = Event(
        EventKind.STAGE_APPROVED,
        parse_moment("2026-04-16T10:00"),
        "sunh",
        stage="needs-list",
        data={"final": True, "round": 1, "level": "street-office"},
    )
    (intent,) = notifications_for_events(_facts(stages), [approved])
    item = Item(7, intent.kind.value, intent.payload)
    _, zh = render([item], False, "zh", "https://x.example")
    assert "下一阶段「方案设计」截止 2026-06-01" in zh
    assert "上传附件并提交：https://x.example/projects/1/stages/design-proposal/done" in zh
    _, en = render([item], False, "en", "https://x.example")
    assert "Next stage “Design proposal” due 2026-06-01" in en and "Upload the files and submit" in en
    # a stage with other evidence: its form, not an upload
    other = Item(8, "due-soon", {**intent.payload, "stage": "needs-list", "working_days_left": 2, "due": "x"})
    _, body = render([other], True, "zh", "https://x.example")
    assert "完成后提交：https://x.example/projects/1/stages/needs-list/done" in body
