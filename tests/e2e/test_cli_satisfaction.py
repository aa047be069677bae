"""`accompany satisfaction` as typed: paper answers recorded by the planner or a
coordinator (by code or by home; a second one replaces the first), the tally in
text and JSON with per-dimension averages, the response rate and the satisfied
share, the comments for the planner; wrong person, unknown code, bad scores and a
closed survey refused in one line, the database unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, update

from .test_cli import START, db_dump, ok, refused

REGISTER = "楼号,单元,房号,建筑面积,业主人数\n1,1,101,60,1\n1,1,102,60,1\n1,1,201,80,2\n1,1,202,100,2\n"


@pytest.fixture
def codes(cli_env: dict[str, str], tmp_path: Path) -> list[str]:
    from accompany.config.settings import EXAMPLE_PEOPLE
    from accompany.db.orm import HouseholdRow, StageRow

    ok("people", "load", str(EXAMPLE_PEOPLE))
    ok(*START)
    path = tmp_path / "住户.csv"
    path.write_text(REGISTER, encoding="utf-8")
    ok("households", "load", "1", str(path), "--by", "zhangl")
    # the earlier stages' approvals are covered elsewhere: open post-evaluation directly
    engine = create_engine(cli_env["ACCOMPANY_DATABASE_URL"])
    with engine.begin() as connection:
        connection.execute(update(StageRow).where(StageRow.key != "post-evaluation").values(state="approved"))
        connection.execute(
            update(StageRow).where(StageRow.key == "post-evaluation").values(state="in_progress")
        )
        found = list(connection.execute(select(HouseholdRow.code).order_by(HouseholdRow.position)).scalars())
    engine.dispose()
    return found


def record(household: str, content: str, process: str, management: str, *extra: str) -> list[str]:
    return [
        "satisfaction",
        "record",
        "1",
        "--household",
        household,
        "--content",
        content,
        "--process",
        process,
        "--management",
        management,
        *extra,
    ]


def test_paper_answers_and_the_tally(codes: list[str], cli_env: dict[str, str]) -> None:
    out = ok(*record(codes[0], "5", "4", "4", "--by", "wangrb", "--comment", "电梯很好"))
    assert "recorded the paper answer (5/4/4) for Post-occupancy evaluation of project #1" in out
    ok(*record("1-1-102", "2", "2", "2", "--by", "zhangl"))
    out = ok(*record(codes[1].lower(), "4", "4", "3", "--by", "wangrb"))
    assert "replaces the household's earlier answer" in out
    ok(*record(codes[2], "1", "3", "5", "--by", "wangrb"))

    text = ok("satisfaction", "tally", "1")
    assert "answers: 3 of 4 households (75.0%); paper answers: 3" in text
    assert "satisfied households (average score at least 4): 1 (33.3%); survey open: yes" in text
    assert "3.33" in text and "3.67" in text and "4.00" in text
    data = json.loads(ok("satisfaction", "tally", "1", "--json"))
    assert [(d["key"], d["average"]) for d in data["dimensions"]] == [
        ("content", 3.33),
        ("process", 3.67),
        ("management", 4.0),
    ]
    assert (data["respondents"], data["households"], data["satisfied"]) == (3, 4, 1)
    assert "电梯很好" in ok("satisfaction", "comments", "1", "--by", "wangrb")

    before = db_dump(cli_env)
    assert "cannot manage the household register" in refused(
        4, *record(codes[3], "4", "4", "4", "--by", "zhaoy")
    )
    assert "not in this project's register" in refused(
        3, *record("ZZZZZZZZ", "4", "4", "4", "--by", "wangrb")
    )
    assert "not in this project's register" in refused(3, *record("9-9-999", "4", "4", "4", "--by", "wangrb"))
    for bad in ("0", "6", "4.5", "many"):
        assert "whole number from 1" in refused(2, *record(codes[3], "4", bad, "4", "--by", "wangrb"))
    assert "control character" in refused(
        2, *record(codes[3], "4", "4", "4", "--by", "wangrb", "--comment", "x\x1b[31m")
    )
    assert db_dump(cli_env) == before


def test_the_survey_closes_with_the_stage(codes: list[str], cli_env: dict[str, str]) -> None:
    from accompany.db.orm import StageRow

    ok(*record(codes[0], "5", "5", "5", "--by", "wangrb"))
    engine = create_engine(cli_env["ACCOMPANY_DATABASE_URL"])
    with engine.begin() as connection:
        connection.execute(update(StageRow).where(StageRow.key == "post-evaluation").values(state="approved"))
    engine.dispose()
    before = db_dump(cli_env)
    assert "is closed" in refused(5, *record(codes[0], "1", "1", "1", "--by", "wangrb"))
    assert db_dump(cli_env) == before
    assert "survey open: no" in ok("satisfaction", "tally", "1")


@pytest.mark.zh
def test_tally_in_chinese(codes: list[str]) -> None:
    ok(*record(codes[0], "5", "4", "4", "--by", "wangrb"))
    text = ok("satisfaction", "tally", "1")
    assert "改造内容" in text and "长效管理" in text and "5.00" in text
