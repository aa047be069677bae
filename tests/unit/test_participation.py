"""The quarterly report's residents' participation (``models.participation``): who
counts in a quarter, response rates against the register, the consent result from
the Art. 278 tally, and the street / district / overall sums."""

from __future__ import annotations

import datetime as dt

from models.consent import Home, Rule
from models.participation import Ballot, Comment, Residents, participation
from models.report import Quarter

Q1 = Quarter(2026, 1)
START, END = Q1.start, Q1.end
INSIDE = dt.datetime(2026, 2, 10, 2, tzinfo=dt.UTC)
BEFORE = START - dt.timedelta(seconds=1)  # 2025-12-31 23:59:59 Beijing time
# 4 homes: 300 m², 6 owners
REGISTER = {"A": Home(6000, 1), "B": Home(6000, 1), "C": Home(8000, 2), "D": Home(10000, 2)}


def residents(**more: object) -> Residents:
    values: dict[str, object] = {
        "project_id": 7,
        "name": "=口袋公园",
        "district": "chaoyang",
        "street": "taiyanggong",
        "register": REGISTER,
    }
    values.update(more)
    return Residents(**values)  # type: ignore[arg-type]


def test_no_register_no_row() -> None:
    project = residents(register={}, needs=[("A", INSIDE)], satisfaction=[("A", INSIDE)])
    assert participation([project], START, END) == ([], {})


def test_activity_outside_the_quarter_is_ignored() -> None:
    project = residents(
        needs=[("A", BEFORE), ("B", END)],  # the quarter's end is the next one's first instant
        satisfaction=[("C", END + dt.timedelta(days=3))],
        comments=[Comment("A", "objection", BEFORE, INSIDE)],
        ballots=[Ballot("A", "agree", BEFORE)],
    )
    assert participation([project], START, END) == ([], {})


def test_a_cutoff_inside_the_quarter_stops_the_count() -> None:
    cutoff = INSIDE
    project = residents(needs=[("A", INSIDE - dt.timedelta(hours=1)), ("B", INSIDE)])
    _rows, overall = participation([project], START, cutoff)
    assert overall["needs_households"] == 1 and overall["needs_rate_pct"] == 25.0


def test_project_figures_and_consent_from_the_tally() -> None:
    project = residents(
        needs=[("A", INSIDE), ("B", INSIDE), ("C", INSIDE), ("X", INSIDE)],  # X: not in the register
        comments=[
            Comment("A", "comment", INSIDE, INSIDE + dt.timedelta(days=1)),
            Comment("A", "comment", INSIDE, None),
            Comment("B", "objection", INSIDE, END + dt.timedelta(days=1)),  # answered after the cut-off
        ],
        consent_rule=Rule.MAJOR,
        # before the quarter: counts for the consent (as of the cut-off), not as reached
        ballots=[Ballot("A", "agree", BEFORE), Ballot("B", "agree", INSIDE), Ballot("D", "disagree", INSIDE)],
        satisfaction=[("D", INSIDE)],
    )
    rows, overall = participation([project], START, END)
    assert [r["level"] for r in rows] == ["district", "street", "project"]
    row = rows[-1]
    assert row == {
        "level": "project",
        "project_id": 7,
        "project": "=口袋公园",
        "district": "chaoyang",
        "street": "taiyanggong",
        "households": 4,
        "needs_households": 3,
        "needs_rate_pct": 75.0,
        "during_households": 3,  # A, B commented; B, D voted
        "during_rate_pct": 75.0,
        "satisfaction_households": 1,
        "satisfaction_rate_pct": 25.0,
        "comments": 2,
        "objections": 1,
        "answered": 1,
        "consent_passed": False,  # agreeing owners 2/4 < 3/4
        "participating_area_pct": 73.3,  # 220 / 300 m²
        "participating_owners_pct": 66.7,  # 4 / 6
        "agreeing_area_pct": 54.5,  # 120 / 220
        "agreeing_owners_pct": 50.0,
        "consent_rule": "major",
        "consent_ballots": 3,
    }
    assert overall["projects"] == 1 and overall["consent_projects"] == 1 and overall["consent_passed"] == 0
    assert {k: overall[k] for k in ("households", "needs_rate_pct", "agreeing_area_pct")} == {
        "households": 4,
        "needs_rate_pct": 75.0,
        "agreeing_area_pct": 54.5,
    }


def test_the_ordinary_rule_passes_and_a_project_without_consent_has_none() -> None:
    passed = residents(
        consent_rule=Rule.ORDINARY,
        ballots=[Ballot(code, "agree", INSIDE) for code in "ABC"] + [Ballot("D", "abstain", INSIDE)],
    )
    no_consent = residents(project_id=8, street="jiangtai", needs=[("A", INSIDE)])
    rows, overall = participation([passed, no_consent], START, END)
    projects = {r["project_id"]: r for r in rows if r["level"] == "project"}
    assert projects[7]["consent_passed"] is True and projects[7]["agreeing_owners_pct"] == 66.7
    assert projects[8]["consent_rule"] is None and projects[8]["participating_area_pct"] is None
    streets = {r["street"]: r for r in rows if r["level"] == "street"}
    assert streets["jiangtai"]["consent_projects"] == 0 and streets["jiangtai"]["agreeing_area_pct"] is None
    assert streets["taiyanggong"]["consent_passed"] == 1
    (district,) = [r for r in rows if r["level"] == "district"]
    assert district["projects"] == 2 and district["households"] == 8
    assert district["during_households"] == 4 and district["during_rate_pct"] == 50.0
    assert overall["participating_area_pct"] == 100.0 and overall["consent_projects"] == 1


def test_a_replaced_ballot_counts_once_as_the_latest() -> None:
    project = residents(
        consent_rule=Rule.ORDINARY,
        ballots=[Ballot("A", "disagree", INSIDE), Ballot("A", "agree", INSIDE + dt.timedelta(hours=1))],
    )
    (row,) = [r for r in participation([project], START, END)[0] if r["level"] == "project"]
    assert row["consent_ballots"] == 1 and row["agreeing_owners_pct"] == 100.0
