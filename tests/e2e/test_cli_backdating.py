"""`--now` as an operator's back-fill, as typed: earlier moments are recorded with
both times and shown so; moments the record cannot take are one-line refusals (exit
6) that change nothing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from accompany.config.settings import EXAMPLE_PEOPLE
from accompany.models.deadlines import LOCAL_TZ

from .test_cli import START, db_dump, ok, refused

SURVEY = ("-e", "households_interviewed=36", "-e", "observation_days=5")


@pytest.fixture
def backfilled(cli_env: dict[str, str], tmp_path: Path) -> Path:
    """A project registered and its survey marked done back in March."""
    ok("people", "load", str(EXAMPLE_PEOPLE))
    ok(*START)  # --now 2026-03-02T09:00
    problem_map = tmp_path / "problem-map.pdf"
    problem_map.write_bytes(b"%PDF map")
    ok(
        "stage", "done", "1", "needs-survey", "--by", "wangrb", *SURVEY,
        "--attach", f"problem_map={problem_map}", "--now", "2026-03-20T10:00",
    )  # fmt: skip
    return problem_map


def test_a_backfill_shows_when_it_was_recorded(cli_env: dict[str, str], backfilled: Path) -> None:
    today = dt.datetime.now(LOCAL_TZ).date().isoformat()
    ok("stage", "approve", "1", "needs-survey", "--by", "zhaoy", "--now", "2026-03-23T10:00")
    out = ok("project", "show", "1", "--events")
    assert f"2026-03-20 10:00 (recorded {today}" in out
    assert f"2026-03-23 10:00 (recorded {today}" in out
    events = json.loads(ok("project", "show", "1", "--json"))["events"]
    approved = next(e for e in events if e["kind"] == "stage.approved")
    assert approved["backdated"] is True
    assert approved["at"].startswith("2026-03-23T10:00") and approved["recorded_at"].startswith(today)


def test_an_approval_before_the_submission_is_refused(cli_env: dict[str, str], backfilled: Path) -> None:
    before = db_dump(cli_env)
    line = refused(6, "stage", "approve", "1", "needs-survey", "--by", "zhaoy", "--now", "2026-03-19T16:00")
    assert line == (
        "error: cannot approve stage Needs survey at 2026-03-19 16:00: "
        "it was marked done later, at 2026-03-20 10:00"
    )
    line = refused(
        6, "stage", "return", "1", "needs-survey", "--by", "zhaoy", "--reason", "补充", "--now", "2026-03-20"
    )
    assert "cannot return stage Needs survey at 2026-03-20 09:00: it was marked done later" in line
    assert db_dump(cli_env) == before


def test_before_the_project_start_and_before_the_stage_history(
    cli_env: dict[str, str], backfilled: Path
) -> None:
    ok(
        "stage",
        "return",
        "1",
        "needs-survey",
        "--by",
        "zhaoy",
        "--reason",
        "补充",
        "--now",
        "2026-03-24T10:00",
    )
    before = db_dump(cli_env)
    line = refused(
        6, "stage", "pause", "1", "needs-survey", "--by", "zhangl", "--reason", "停工", "--now", "2026-02-27"
    )
    assert line == (
        "error: cannot pause the clock of stage Needs survey at 2026-02-27 09:00: "
        "the project starts on 2026-03-02"
    )
    line = refused(6, "stage", "done", "1", "needs-survey", "--by", "wangrb", "--now", "2026-03-24T09:00")
    assert "its last recorded event is later, at 2026-03-24 10:00" in line
    assert db_dump(cli_env) == before


def test_a_write_in_the_future_is_refused(cli_env: dict[str, str], backfilled: Path) -> None:
    before = db_dump(cli_env)
    tomorrow = (dt.datetime.now(LOCAL_TZ) + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    line = refused(6, "stage", "approve", "1", "needs-survey", "--by", "zhaoy", "--now", tomorrow)
    assert line.startswith(
        f"error: cannot act at {tomorrow.replace('T', ' ')}: that is in the future (it is "
    )
    assert db_dump(cli_env) == before
    # reading as of a later moment is not a write
    ok("project", "show", "1", "--now", tomorrow)


def test_backdating_turned_off(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCOMPANY_ALLOW_BACKDATING", "false")
    ok("people", "load", str(EXAMPLE_PEOPLE))
    before = db_dump(cli_env)
    line = refused(6, *START)  # --now 2026-03-02T09:00
    assert line.startswith("error: cannot act at 2026-03-02 09:00: back-dating is turned off here")
    assert db_dump(cli_env) == before
    at = START.index("--now")
    ok(*START[:at], *START[at + 2 :])  # at the real time


@pytest.mark.zh
def test_the_refusal_in_chinese(cli_env: dict[str, str], backfilled: Path) -> None:
    line = refused(6, "stage", "approve", "1", "needs-survey", "--by", "zhaoy", "--now", "2026-03-19T16:00")
    assert (
        line == "错误：不能在 2026-03-19 16:00 审批通过阶段 需求调研：标记完成的时间更晚（2026-03-20 10:00）"
    )
