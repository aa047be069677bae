"""Consent ballots through the service layer (SQLite and PostgreSQL): a household's
code casts a ballot while the consent stage is in progress, a second one replaces
it (counted once, audited as replaced), paper ballots are recorded by the planner,
unknown / purged / another project's codes count nothing, the ballot closes with the
stage, and the stage's evidence follows the tally."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update

from accompany.bootstrap import App
from accompany.db.orm import BallotRow, EventRow, HouseholdRow, StageRow
from accompany.i18n import error_text
from accompany.models.consent import BallotClosed
from accompany.models.errors import InvalidInput, NotFound, PermissionDenied, RuleViolation
from accompany.services import commands, households
from accompany.services.audit import verify_log
from accompany.services.consent import cast_ballot, consent_tally
from accompany.services.public import set_published

from ..conftest import start_command
from ..web_support import snapshot

HEADER = ["楼号", "单元", "房号", "建筑面积", "业主人数"]
# 4 homes: 300 m², 6 owners
ROWS = [
    ["1", "1", "101", "60", "1"],
    ["1", "1", "102", "60", "1"],
    ["1", "1", "201", "80", "2"],
    ["1", "1", "202", "100", "2"],
]


def open_consent(app: App, project_id: int) -> None:
    """Put the resident-consent stage in progress (the earlier stages' approvals are
    not what these tests are about)."""
    earlier = ("needs-survey", "needs-list", "design-proposal", "plan-presentation")
    with app.uow() as uow:
        uow.session.execute(
            update(StageRow)
            .where(StageRow.project_id == project_id, StageRow.key.in_(earlier))
            .values(state="approved", approved_at=app.now(), waiting_for=None)
        )
        uow.session.execute(
            update(StageRow)
            .where(StageRow.project_id == project_id, StageRow.key == "resident-consent")
            .values(state="in_progress", activated_at=app.now())
        )
        uow.commit()


def codes(app: App, project_id: int) -> list[str]:
    with app.reader() as uow:
        return list(
            uow.session.scalars(
                select(HouseholdRow.code)
                .where(HouseholdRow.project_id == project_id)
                .order_by(HouseholdRow.position)
            )
        )


@pytest.fixture
def ballot(people: App, project_id: int) -> list[str]:
    households.load_register(people, project_id, HEADER, ROWS, by="zhangl")
    set_published(people, project_id, by="zhangl")
    open_consent(people, project_id)
    return codes(people, project_id)


def _events(app: App) -> list[EventRow]:
    with app.reader() as uow:
        return list(
            uow.session.scalars(select(EventRow).where(EventRow.kind.like("consent.%")).order_by(EventRow.id))
        )


def test_ballots_by_code_replace_and_tally(people: App, project_id: int, ballot: list[str]) -> None:
    first = cast_ballot(people, project_id, ballot[0].lower(), "agree")
    assert (first.stage, first.channel, first.replaced) == ("resident-consent", "public", None)
    cast_ballot(people, project_id, ballot[1], "disagree")
    again = cast_ballot(people, project_id, f" {ballot[1][:4]}-{ballot[1][4:]} ", "agree")
    assert again.replaced == "disagree"
    cast_ballot(people, project_id, ballot[2], "agree")
    view = consent_tally(people, project_id)
    assert (view.participating.households, view.participating.owners, view.participating.area_m2) == (
        3,
        4,
        200,
    )
    assert (view.agreeing.households, view.disagreeing.households) == (3, 0)
    assert view.total.owners == 6 and view.total.area_m2 == 300
    # 200/300 = 2/3 of the area and 4/6 = 2/3 of the owners: exactly enough
    assert view.participation_area_ok and view.participation_owners_ok and view.passed
    assert (view.verdict_zh, view.verdict_en, view.rule) == ("通过", "passed", "major")

    events = _events(people)
    assert [e.kind for e in events] == [
        "consent.ballot_cast",
        "consent.ballot_cast",
        "consent.ballot_replaced",
        "consent.ballot_cast",
    ]
    assert events[2].data["replaced"] == "disagree" and events[2].data["channel"] == "public"
    assert events[0].actor == "resident" and events[0].stage_key == "resident-consent"
    log = json.dumps([e.data for e in events])
    assert all(code not in log for code in ballot) and "101" not in log
    assert verify_log(people).intact


def test_unknown_purged_or_other_projects_codes_count_nothing(
    people: App, project_id: int, ballot: list[str]
) -> None:
    other = commands.start_project(people, start_command(name="另一个项目")).project_id
    assert other is not None
    households.load_register(people, other, HEADER, [["9", "1", "101", "50", "1"]], by="zhangl")
    set_published(people, other, by="zhangl")
    foreign = codes(people, other)[0]
    before = snapshot(people)
    for code in ("ZZZZZZZZ", foreign):
        with pytest.raises(NotFound, match="not in this project's register"):
            cast_ballot(people, project_id, code, "agree")
    # text that cannot be a code is told what a code looks like (its shape says nothing of the register)
    with pytest.raises(InvalidInput, match="not a valid one: a code has 8 letters and digits"):
        cast_ballot(people, project_id, "not a code", "agree")
    with pytest.raises(InvalidInput, match="type your household code"):  # asked for, not looked up
        cast_ballot(people, project_id, " ", "agree")
    with pytest.raises(InvalidInput, match="not a ballot choice"):
        cast_ballot(people, project_id, ballot[0], "yes please")
    assert snapshot(people) == before

    cast_ballot(people, project_id, ballot[0], "agree")
    households.purge(people, project_id, by="zhangl")
    with people.reader() as uow:
        assert uow.session.scalars(select(BallotRow).where(BallotRow.project_id == project_id)).all() == []
    with pytest.raises(NotFound, match="not in this project's register"):
        cast_ballot(people, project_id, ballot[0], "agree")


def test_unpublished_page_takes_no_public_ballot(people: App, project_id: int, ballot: list[str]) -> None:
    set_published(people, project_id, by="zhangl", published=False)
    with pytest.raises(NotFound, match="unknown project"):
        cast_ballot(people, project_id, ballot[0], "agree")
    # a paper ballot is still recorded
    paper = cast_ballot(people, project_id, ballot[0], "agree", by="wangrb")
    assert paper.channel == "paper"


def test_paper_ballots_by_the_planner_or_coordinator_only(
    people: App, project_id: int, ballot: list[str]
) -> None:
    cast_ballot(people, project_id, ballot[0], "disagree")
    paper = cast_ballot(people, project_id, ballot[0], "agree", by="wangrb")
    assert (paper.channel, paper.replaced) == ("paper", "disagree")
    cast_ballot(people, project_id, ballot[1], "abstain", by="zhangl")
    before = snapshot(people)
    for person in ("zhaoy", "chenm"):
        with pytest.raises(PermissionDenied):
            cast_ballot(people, project_id, ballot[2], "agree", by=person)
    assert snapshot(people) == before
    events = _events(people)
    assert [(e.actor, e.data["channel"]) for e in events[1:]] == [("wangrb", "paper"), ("zhangl", "paper")]
    view = consent_tally(people, project_id)
    assert view.paper_ballots == 2 and view.abstaining.households == 1


def test_the_ballot_closes_with_the_stage_and_the_evidence_follows_the_tally(
    people: App, project_id: int, ballot: list[str]
) -> None:
    for code in ballot[:3]:
        cast_ballot(people, project_id, code, "agree")
    cast_ballot(people, project_id, ballot[3], "disagree")
    # 3 of 4 households agree, but 200 of 300 m² and 4 of 6 owners: under 3/4
    view = consent_tally(people, project_id)
    assert view.participation_area_ok and not view.passed
    assert view.failed == ["approval_area", "approval_owners"]
    before = snapshot(people)
    with pytest.raises(RuleViolation, match="did not pass under Civil Code Art"):
        commands.complete_stage(
            people, commands.CompleteStage(project_id=project_id, stage="resident-consent", by="wangrb")
        )
    # a typed figure the ballots don't show is refused
    with pytest.raises(InvalidInput, match="computed from the ballots"):
        commands.complete_stage(
            people,
            commands.CompleteStage(
                project_id=project_id,
                stage="resident-consent",
                by="wangrb",
                evidence={"households_surveyed": "120", "households_consenting": "97"},
            ),
        )
    assert snapshot(people) == before

    cast_ballot(people, project_id, ballot[3], "agree")  # the household changes its mind
    outcome = commands.complete_stage(
        people,
        commands.CompleteStage(
            project_id=project_id,
            stage="resident-consent",
            by="wangrb",
            evidence={"households_consenting": "4"},
        ),
    )
    submitted = outcome.events[-1]
    assert submitted.data["evidence"] == {"households_surveyed": 4, "households_consenting": 4}
    assert submitted.data["consent"]["passed"] is True and submitted.data["consent"]["rule"] == "major"

    with pytest.raises(BallotClosed, match="is closed"):
        cast_ballot(people, project_id, ballot[0], "disagree")
    with pytest.raises(BallotClosed):
        cast_ballot(people, project_id, ballot[0], "disagree", by="wangrb")
    assert consent_tally(people, project_id).open is False


def test_without_ballots_the_typed_figures_still_count(people: App, project_id: int) -> None:
    open_consent(people, project_id)
    outcome = commands.complete_stage(
        people,
        commands.CompleteStage(
            project_id=project_id,
            stage="resident-consent",
            by="wangrb",
            evidence={"households_surveyed": "120", "households_consenting": "97"},
        ),
    )
    assert "consent" not in outcome.events[-1].data


def test_a_new_register_keeps_the_homes_that_voted_and_an_empty_one_is_refused(
    people: App, project_id: int, ballot: list[str]
) -> None:
    """A register loaded again replaces the old one: dropping a home that has voted
    would take its ballot out of the tally for good (its code goes with it), so it is
    refused, naming the home; a file of no households would drop them all."""
    cast_ballot(people, project_id, ballot[1], "agree")
    before = snapshot(people)
    with pytest.raises(InvalidInput) as refused:
        households.load_register(people, project_id, HEADER, [ROWS[0], ROWS[2], ROWS[3]], by="zhangl")
    assert refused.value.field == "file" and refused.value.values["homes"] == "1-1-102"
    assert "1 户已参与的住户不在新文件中：1-1-102" in error_text(refused.value, "zh")
    with pytest.raises(InvalidInput, match="no households") as empty:
        households.load_register(people, project_id, HEADER, [], by="zhangl")
    assert empty.value.field == "file"
    assert snapshot(people) == before
    # a home that has not taken part may leave; the one that voted keeps its code
    households.load_register(people, project_id, HEADER, ROWS[:3], by="zhangl")
    assert codes(people, project_id) == ballot[:3]
