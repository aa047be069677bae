"""`accompany comments` as typed: paper comments and objections recorded by the
planner or a coordinator (by code or address), the list in text and JSON (newest
first, building and unit, --open), answers once and amended by their author; an
unanswered objection keeps `stage done` from closing the 公示; wrong person, unknown
household, a second answer refused in one line, the database unchanged."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, update

from .test_cli import START, db_dump, ok, refused

REGISTER = "楼号,单元,房号,建筑面积,业主人数\n1,1,101,60,1\n1,2,102,60,1\n2,1,201,80,2\n"
NOW = ("--now", "2026-03-03T10:00")


@pytest.fixture
def codes(cli_env: dict[str, str], tmp_path: Path) -> list[str]:
    from accompany.config.settings import EXAMPLE_PEOPLE
    from accompany.db.orm import HouseholdRow, StageRow

    ok("people", "load", str(EXAMPLE_PEOPLE))
    ok(*START)
    path = tmp_path / "住户.csv"
    path.write_text(REGISTER, encoding="utf-8")
    ok("households", "load", "1", str(path), "--by", "zhangl")
    # the earlier stages' approvals are covered elsewhere: open the 公示 directly
    engine = create_engine(cli_env["ACCOMPANY_DATABASE_URL"])
    with engine.begin() as connection:
        earlier = ("needs-survey", "needs-list", "design-proposal")
        connection.execute(update(StageRow).where(StageRow.key.in_(earlier)).values(state="approved"))
        connection.execute(
            update(StageRow)
            .where(StageRow.key == "plan-presentation")
            .values(state="in_progress", activated_at=dt.datetime(2026, 3, 2, 1, tzinfo=dt.UTC))
        )
        found = list(connection.execute(select(HouseholdRow.code).order_by(HouseholdRow.position)).scalars())
    engine.dispose()
    return found


def test_record_list_answer_and_the_stage_waits_for_answers(
    codes: list[str], cli_env: dict[str, str]
) -> None:
    out = ok(
        "comments", "record", "1", "--household", codes[0], "--text", "希望加装座椅", "--by", "wangrb", *NOW
    )
    assert "recorded the paper comment #1 on project #1" in out
    ok(
        "comments", "record", "1", "--household", "1-2-102", "--kind", "objection",
        "--text", "[bold]反对[/bold] 砍树", "--by", "zhangl", "--now", "2026-03-03T11:00",
    )  # fmt: skip
    data = json.loads(ok("comments", "list", "1", "--json", *NOW))
    assert (data["comments"], data["objections"], data["answered"], data["unanswered_objections"]) == (
        1,
        1,
        0,
        1,
    )
    assert [(c["id"], c["kind"], c["building"], c["unit"]) for c in data["items"]] == [
        (2, "objection", "1", "2"),
        (1, "comment", "1", "1"),
    ]
    text = ok("comments", "list", "1", *NOW)
    assert "[bold]反对[/bold] 砍树" in text  # markup printed as typed, not applied
    assert "objections without an answer: 1" in text

    done = ("stage", "done", "1", "plan-presentation", "--by", "wangrb", "-e", "sessions_held=2")
    done += ("-e", "attendees=30", "-e", "notice_days=7", "--now", "2026-03-12T10:00")
    assert "1 objection(s) have no answer yet" in refused(6, *done)

    assert "answered comment #2" in ok(
        "comments", "answer", "1", "2", "--text", "保留大树", "--by", "wangrb", *NOW
    )
    before = db_dump(cli_env)
    assert "already answered" in refused(
        5, "comments", "answer", "1", "2", "--text", "再答", "--by", "zhangl", *NOW
    )
    assert "only the author" in refused(
        4, "comments", "answer", "1", "2", "--text", "改", "--by", "zhangl", "--amend", *NOW
    )
    assert "cannot answer the comments" in refused(
        4, "comments", "answer", "1", "1", "--text", "好", "--by", "zhaoy", *NOW
    )
    assert "unknown project" in refused(
        3, "comments", "answer", "1", "1", "--text", "好", "--by", "hel", *NOW
    )
    assert "not in this project's register" in refused(
        3, "comments", "record", "1", "--household", "9-9-999", "--text", "好", "--by", "wangrb", *NOW
    )
    assert db_dump(cli_env) == before
    out = ok(
        "comments", "answer", "1", "2", "--text", "保留大树，移位施工", "--by", "wangrb", "--amend", *NOW
    )
    assert "amended the answer to comment #2" in out
    open_items = json.loads(ok("comments", "list", "1", "--open", "--json", *NOW))["items"]
    assert [c["id"] for c in open_items] == [1]

    ok(*done)
    log = ok("project", "show", "1", "--events")
    assert "Comment left" in log and "Answer amended" in log
    assert "[bold]反对[/bold] 砍树" in log  # the text in the audit log, markup not applied


@pytest.mark.zh
def test_list_in_chinese(codes: list[str]) -> None:
    ok(
        "comments",
        "record",
        "1",
        "--household",
        "201",
        "--kind",
        "异议",
        "--text",
        "反对",
        "--by",
        "wangrb",
        *NOW,
    )
    text = ok("comments", "list", "1", *NOW)
    assert "异议" in text and "反对" in text
