"""`accompany consent` as typed: paper ballots recorded by the planner or a
coordinator (a second one replaces the first), the tally in text and JSON with the
rule and the verdict; wrong person, unknown code, missing --paper and a closed
ballot refused in one line, the database unchanged."""

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
    # the earlier stages' approvals are covered elsewhere: open resident-consent directly
    engine = create_engine(cli_env["ACCOMPANY_DATABASE_URL"])
    with engine.begin() as connection:
        earlier = ("needs-survey", "needs-list", "design-proposal", "plan-presentation")
        connection.execute(update(StageRow).where(StageRow.key.in_(earlier)).values(state="approved"))
        connection.execute(
            update(StageRow).where(StageRow.key == "resident-consent").values(state="in_progress")
        )
        found = list(connection.execute(select(HouseholdRow.code).order_by(HouseholdRow.position)).scalars())
    engine.dispose()
    return found


def test_paper_ballots_and_the_tally(codes: list[str], cli_env: dict[str, str]) -> None:
    out = ok("consent", "record", "1", codes[0], "agree", "--by", "wangrb", "--paper")
    assert "recorded the paper ballot (agree) for Resident consent survey of project #1" in out
    ok("consent", "record", "1", codes[1], "disagree", "--by", "zhangl", "--paper")
    out = ok("consent", "record", "1", codes[1].lower(), "同意", "--by", "wangrb", "--paper")
    assert "replaces the household's earlier ballot (disagree)" in out
    ok("consent", "record", "1", codes[2], "abstain", "--by", "wangrb", "--paper")

    text = ok("consent", "tally", "1")
    assert "rule: major matter (3/4 of area and owners); verdict: not passed (未通过)" in text
    data = json.loads(ok("consent", "tally", "1", "--json"))
    assert data["participating"] == {"households": 3, "owners": 4, "area_m2": 200.0}
    assert data["agreeing"]["households"] == 2 and data["paper_ballots"] == 3
    assert (data["participation_area_ok"], data["approval_area_ok"], data["passed"]) == (True, False, False)

    before = db_dump(cli_env)
    assert "cannot manage the household register" in refused(
        4, "consent", "record", "1", codes[3], "agree", "--by", "zhaoy", "--paper"
    )
    assert "not in this project's register" in refused(
        3, "consent", "record", "1", "ZZZZZZZZ", "agree", "--by", "wangrb", "--paper"
    )
    assert "add --paper" in refused(2, "consent", "record", "1", codes[3], "agree", "--by", "wangrb")
    assert "not a ballot choice" in refused(
        2, "consent", "record", "1", codes[3], "maybe", "--by", "wangrb", "--paper"
    )
    assert db_dump(cli_env) == before


@pytest.mark.zh
def test_tally_in_chinese(codes: list[str]) -> None:
    for code in codes:
        ok("consent", "record", "1", code, "agree", "--by", "wangrb", "--paper")
    text = ok("consent", "tally", "1")
    assert "通过" in text and "重大事项" in text
