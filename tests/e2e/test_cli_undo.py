"""`stage undo` (撤回) as a user types it: the decision's giver, within the window on
the real clock, a reason; each refusal one line with its exit code, nothing changed."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from accompany.clock import FixedClock, parse_moment
from accompany.config.settings import EXAMPLE_PEOPLE

from .test_cli import START, db_dump, ok, refused


@pytest.fixture
def started(cli_env: dict[str, str], tmp_path: Path) -> Path:
    ok("people", "load", str(EXAMPLE_PEOPLE))
    assert "#1" in ok(*START)
    problem_map = tmp_path / "problem-map.pdf"
    problem_map.write_bytes(b"%PDF map")
    return problem_map


def survey_done(problem_map: Path) -> None:
    ok(
        "stage",
        "done",
        "1",
        "needs-survey",
        "--by",
        "wangrb",
        "-e",
        "households_interviewed=36",
        "-e",
        "observation_days=5",
        "--attach",
        f"problem_map={problem_map}",
        "--now",
        "2026-03-20T10:00",
    )


def test_undo_an_approval_then_a_return(started: Path, cli_env: dict[str, str]) -> None:
    survey_done(started)
    out = ok("stage", "approve", "1", "needs-survey", "--by", "zhaoy", "--now", "2026-03-23T10:00")
    assert "List of needs started" in out
    before = db_dump(cli_env)
    # someone else (4), no reason (2), an empty reason (2), unknown project or stage (3)
    line = refused(4, "stage", "undo", "1", "needs-survey", "--by", "sunh", "--reason", "x")
    assert "only the person who gave it can" in line
    assert "孙浩" in line
    refused(2, "stage", "undo", "1", "needs-survey", "--by", "zhaoy", "--reason", "  ")
    refused(3, "stage", "undo", "9", "needs-survey", "--by", "zhaoy", "--reason", "x")
    line = refused(3, "stage", "undo", "1", "nope", "--by", "zhaoy", "--reason", "x")
    assert "unknown stage 'nope'" in line
    assert db_dump(cli_env) == before

    out = ok(
        "stage",
        "undo",
        "1",
        "需求调研",
        "--by",
        "赵阳",
        "--reason",
        "审错了阶段",
        "--now",
        "2026-03-23T10:05",
    )
    assert "Needs survey: approval undone; waits for the Street office again" in out
    assert "List of needs not started" in out
    detail = json.loads(ok("project", "show", "1", "--json", "--now", "2026-03-23T10:06"))
    assert [s["state"] for s in detail["stages"][:2]] == ["submitted", "pending"]
    # twice: the last event is the undo, not a decision (5)
    before = db_dump(cli_env)
    line = refused(5, "stage", "undo", "1", "needs-survey", "--by", "zhaoy", "--reason", "x")
    assert "already undone" in line
    assert db_dump(cli_env) == before

    ok(
        "stage",
        "return",
        "1",
        "needs-survey",
        "--by",
        "zhaoy",
        "--reason",
        "照片缺失",
        "--now",
        "2026-03-23T10:10",
    )
    out = ok(
        "stage",
        "undo",
        "1",
        "needs-survey",
        "--by",
        "zhaoy",
        "--reason",
        "退错了",
        "--now",
        "2026-03-23T10:12",
    )
    assert "return undone" in out
    events = ok("project", "show", "1", "--events", "--now", "2026-03-23T10:13")
    assert "Decision undone" in events and "退错了" in events


def test_the_last_event_is_not_a_decision(started: Path, cli_env: dict[str, str]) -> None:
    refused(5, "stage", "undo", "1", "needs-survey", "--by", "zhaoy", "--reason", "x")
    survey_done(started)
    ok(
        "stage",
        "return",
        "1",
        "needs-survey",
        "--by",
        "zhaoy",
        "--reason",
        "照片缺失",
        "--now",
        "2026-03-23T10:00",
    )
    survey_done_again = [
        "stage",
        "done",
        "1",
        "needs-survey",
        "--by",
        "wangrb",
        "--now",
        "2026-03-23T11:00",
    ]
    ok(*survey_done_again)
    before = db_dump(cli_env)
    line = refused(5, "stage", "undo", "1", "needs-survey", "--by", "zhaoy", "--reason", "x")
    assert "no longer the last thing that happened" in line
    assert db_dump(cli_env) == before


def test_after_the_window(started: Path, cli_env: dict[str, str]) -> None:
    """A decision recorded 31 minutes ago on the real clock, whatever --now says."""
    from accompany.bootstrap import build_app
    from accompany.services.commands import DecideApproval, decide_approval

    survey_done(started)
    real = FixedClock(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=31))
    application = build_app(
        database_url=cli_env["ACCOMPANY_DATABASE_URL"],
        clock=FixedClock(parse_moment("2026-03-23T10:00")),
        wall_clock=real,
    )
    decide_approval(
        application, DecideApproval(project_id=1, stage="needs-survey", by="zhaoy", decision="approve")
    )
    before = db_dump(cli_env)
    line = refused(
        5, "stage", "undo", "1", "needs-survey", "--by", "zhaoy", "--reason", "x", "--now", "2026-03-23T10:01"
    )
    assert "can only be undone within 30 minutes" in line
    assert db_dump(cli_env) == before


@pytest.mark.zh
def test_in_chinese(started: Path, cli_env: dict[str, str]) -> None:
    survey_done(started)
    ok("stage", "approve", "1", "needs-survey", "--by", "zhaoy", "--now", "2026-03-23T10:00")
    line = refused(4, "stage", "undo", "1", "needs-survey", "--by", "sunh", "--reason", "x")
    assert line.startswith("错误：") and "只有作出该决定的人才能撤回" in line
    out = ok(
        "stage",
        "undo",
        "1",
        "needs-survey",
        "--by",
        "zhaoy",
        "--reason",
        "审错了",
        "--now",
        "2026-03-23T10:01",
    )
    assert "审批通过已撤回" in out


@pytest.mark.zh
def test_a_refusal_names_what_happened_since_by_its_label(started: Path, cli_env: dict[str, str]) -> None:
    """The event that came after the decision is named as a person reads it (计时暂停),
    not by its kind in the log (stage.clock_paused)."""
    survey_done(started)
    ok("stage", "approve", "1", "needs-survey", "--by", "zhaoy", "--now", "2026-03-23T10:00")
    ok(
        "stage",
        "pause",
        "1",
        "needs-list",
        "--by",
        "zhangl",
        "--reason",
        "冬季停工",
        "--now",
        "2026-03-23T10:02",
    )
    before = db_dump(cli_env)
    line = refused(5, "stage", "undo", "1", "needs-survey", "--by", "zhaoy", "--reason", "点错了")
    assert line.startswith("错误：")
    assert "已不是最近发生的操作" in line and "需求清单" in line
    assert "（计时暂停）" in line
    assert "stage.clock_paused" not in line
    assert db_dump(cli_env) == before
