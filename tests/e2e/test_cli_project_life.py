"""`project suspend / resume / cancel / handover / edit` as a user types them."""

from __future__ import annotations

import json

import pytest

from accompany.config.settings import EXAMPLE_PEOPLE

from .test_cli import START, db_dump, ok, refused


@pytest.fixture
def started(cli_env: dict[str, str]) -> None:
    ok("people", "load", str(EXAMPLE_PEOPLE))
    assert "#1" in ok(*START)


def test_suspend_and_resume_move_the_deadline(started: None) -> None:
    out = ok("project", "suspend", "1", "--by", "张磊", "--reason", "资金未到位", "--now", "2026-03-10T09:00")
    assert "project #1 suspended: 资金未到位" in out
    assert "Needs survey clock paused" in out
    shown = ok("project", "show", "1", "--now", "2026-03-11T09:00")
    assert "Suspended" in shown and "资金未到位" in shown
    listed = ok("project", "list", "--now", "2026-03-11T09:00")
    assert "Suspended: 资金未到位" in listed
    out = ok("project", "resume", "1", "--by", "zhangl", "--now", "2026-03-17T09:00")
    assert "project #1 resumed after 5 working days" in out
    assert "Needs survey due 2026-04-14 → 2026-04-21" in out
    detail = json.loads(ok("project", "show", "1", "--json", "--now", "2026-03-17T09:00"))
    assert detail["status"] == "active" and detail["stages"][0]["timing"]["due"] == "2026-04-21"


def test_a_cancelled_project_shows_its_reason_and_refuses_every_command(
    started: None, cli_env: dict[str, str]
) -> None:
    ok(
        "project",
        "cancel",
        "1",
        "--by",
        "zhangl",
        "--reason",
        "居民反对，项目撤销",
        "--now",
        "2026-03-05T09:00",
    )
    listed = ok("project", "list", "--now", "2026-04-20T09:00")
    assert "Cancelled: 居民反对，项目撤销" in listed
    assert "overdue" not in listed
    before = db_dump(cli_env)
    line = refused(5, "project", "resume", "1", "--by", "zhangl", "--now", "2026-03-06T09:00")
    assert "was cancelled on 2026-03-05 09:00 (居民反对，项目撤销)" in line
    refused(5, "project", "suspend", "1", "--by", "zhangl", "--reason", "x", "--now", "2026-03-06T09:00")
    refused(
        5,
        "stage",
        "pause",
        "1",
        "needs-survey",
        "--by",
        "zhangl",
        "--reason",
        "x",
        "--now",
        "2026-03-06T09:00",
    )
    refused(
        5,
        *("project", "handover", "1", "--planner", "chenm", "--note", "x", "--by", "zhangl"),
        *("--now", "2026-03-06T09:00"),
    )
    assert db_dump(cli_env) == before
    swept = json.loads(ok("reminders", "run", "--json", "--now", "2026-04-20T09:00"))
    assert (swept["stages_considered"], swept["notifications"]) == (0, [])


def test_wrong_role_and_hostile_reasons_get_one_line_and_change_nothing(
    started: None, cli_env: dict[str, str]
) -> None:
    before = db_dump(cli_env)
    line = refused(
        4, "project", "suspend", "1", "--by", "wangrb", "--reason", "x", "--now", "2026-03-05T09:00"
    )
    assert "only a coordinator can suspend a project" in line
    refused(4, "project", "cancel", "1", "--by", "wangrb", "--reason", "x", "--now", "2026-03-05T09:00")
    for reason in ("", "a\x00b", "\x1b[2Jx", "长" * 5001):
        refused(
            2, "project", "suspend", "1", "--by", "zhangl", "--reason", reason, "--now", "2026-03-05T09:00"
        )
    refused(6, "project", "resume", "1", "--by", "zhangl", "--now", "2026-03-05T09:00")  # not suspended
    assert db_dump(cli_env) == before


def test_handover_and_edit(started: None) -> None:
    out = ok(
        *("project", "handover", "1", "--planner", "陈敏", "--note", "王老师调任", "--by", "zhangl"),
        *("--now", "2026-03-05T09:00"),
    )
    assert "project #1 handed over: 王若冰 → 陈敏" in out
    line = refused(
        2,
        *("project", "handover", "1", "--planner", "hel", "--note", "x", "--by", "zhangl"),
        *("--now", "2026-03-05T09:10"),
    )
    assert "does not serve" in line
    out = ok(
        "project", "edit", "1", "--name", "太阳宫口袋公园", "--by", "zhangl", "--now", "2026-03-05T09:20"
    )
    assert "name: 太阳宫北街口袋公园更新 → 太阳宫口袋公园" in out
    shown = ok("project", "show", "1", "--events", "--now", "2026-03-05T09:30")
    assert "Planner changed" in shown and "王老师调任" in shown and "Project edited" in shown
    assert "陈敏" in shown


@pytest.mark.zh
def test_chinese_lines(started: None) -> None:
    out = ok(
        "project", "suspend", "1", "--by", "zhangl", "--reason", "资金未到位", "--now", "2026-03-10T09:00"
    )
    assert "项目 #1 已暂停：资金未到位" in out
    shown = ok("project", "show", "1", "--now", "2026-03-11T09:00")
    assert "已暂停" in shown
