"""Undo (撤回) of a party's signature or return in a joint step (会签/或签) on a real
database (SQLite, and PostgreSQL when set): the same rules as at a level, the round
as it was (the other parties' signatures intact), the undo in the chained log, the
notifications of the undone decision withdrawn."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from accompany.bootstrap import App
from accompany.clock import FixedClock, parse_moment
from accompany.db.orm import ApprovalRow, EventRow
from accompany.models.errors import Conflict, PermissionDenied
from accompany.services.audit import verify_log
from accompany.services.queries import show_project
from accompany.services.undo import undoable_stages

from .test_joint_signing import PARTIES, decide, start, submit
from .test_joint_signing import settings as settings  # the joint template
from .test_undo import outbox, people_get, snapshot, undo


@pytest.fixture
def signing(people: App, clock: FixedClock) -> int:
    """The acceptance stage submitted: its 会签 waits for four parties."""
    clock.moment = parse_moment("2026-03-20T10:00")
    project_id = start(people)
    submit(people, project_id)
    return project_id


def test_one_signature_of_a_joint_round_undone_keeps_the_others(
    people: App, signing: int, clock: FixedClock
) -> None:
    clock.advance(minutes=1)
    decide(people, signing, "sy-design")
    clock.advance(minutes=1)
    decide(people, signing, "tyg-jszx")
    assert undoable_stages(people, signing, people_get(people, "tyg-jszx")) == {"acceptance"}
    assert undoable_stages(people, signing, people_get(people, "sy-design")) == set()
    before = snapshot(people)
    with pytest.raises(Conflict, match="no longer the last thing"):
        undo(people, signing, "sy-design", stage="acceptance")
    with pytest.raises(PermissionDenied, match="only the person who gave it"):
        undo(people, signing, "sy-build", stage="acceptance")
    assert snapshot(people) == before

    clock.advance(minutes=5)
    outcome = undo(people, signing, "tyg-jszx", reason="签错了项目", stage="acceptance")

    assert outcome.kinds() == ["stage.decision_undone"]
    stage = show_project(people, signing).stages[0]
    assert (stage.state, stage.round, stage.waiting_for) == ("submitted", 1, "all")
    assert stage.signing is not None and stage.signing.signed == ["design"]
    assert stage.signing.awaited == ["developer", "construction", "supervision"]
    with people.reader() as uow:
        rows = uow.session.scalars(select(ApprovalRow)).all()
        undone = uow.session.scalars(select(EventRow).where(EventRow.kind == "stage.decision_undone")).one()
    assert [(r.level, r.decided_by) for r in rows] == [("design", "sy-design")]
    assert (undone.actor, undone.data["party"], undone.data["reason"]) == (
        "tyg-jszx",
        "developer",
        "签错了项目",
    )
    assert verify_log(people).verdict.intact
    # the developer signs again; the round goes on to the street office
    for who in ("tyg-jszx", "sy-build", "sy-jianli"):
        clock.advance(minutes=1)
        decide(people, signing, who)
    assert show_project(people, signing).stages[0].waiting_for == "street-office"


def test_the_signature_that_completed_the_step_undone_withdraws_the_street_offices_request(
    people: App, signing: int, clock: FixedClock
) -> None:
    for who in PARTIES.values():
        clock.advance(minutes=1)
        decide(people, signing, who)
    assert ("approval-requested", "street-office:taiyanggong", "pending") in outbox(people)
    clock.advance(minutes=5)
    undo(people, signing, "sy-jianli", stage="acceptance")
    stage = show_project(people, signing).stages[0]
    assert stage.waiting_for == "all" and stage.signing is not None
    assert stage.signing.awaited == ["supervision"]
    # the street office's request had not gone out: dropped; the street office hears of the undo
    assert ("approval-requested", "street-office:taiyanggong", "dropped") in outbox(people)
    assert ("decision-undone", "street-office:taiyanggong", "pending") in outbox(people)
    with pytest.raises(PermissionDenied):
        decide(people, signing, "zhaoy")  # the street office waits for the step again


def test_a_party_return_of_the_whole_round_undone_restores_the_round(
    people: App, signing: int, clock: FixedClock
) -> None:
    clock.advance(minutes=1)
    decide(people, signing, "sy-design")
    clock.advance(minutes=1)
    decide(people, signing, "sy-build", "return", comment="施工资料不全")
    stage = show_project(people, signing).stages[0]
    assert (stage.state, stage.round) == ("in_progress", 2)
    clock.advance(minutes=31)
    before = snapshot(people)
    with pytest.raises(Conflict, match="within 30 minutes"):
        undo(people, signing, "sy-build", stage="acceptance")
    assert snapshot(people) == before
    clock.advance(minutes=-30)
    undo(people, signing, "sy-build", reason="退错了", stage="acceptance")
    stage = show_project(people, signing).stages[0]
    assert (stage.state, stage.round, stage.waiting_for) == ("submitted", 1, "all")
    assert stage.signing is not None and stage.signing.signed == ["design"]
    assert stage.signing.awaited == ["developer", "construction", "supervision"]
    assert ("stage-returned", "person:wangrb", "dropped") in outbox(people)
    assert ("decision-undone", "person:wangrb", "pending") in outbox(people)
    assert verify_log(people).verdict.intact


def test_the_party_undoes_its_signature_on_the_web_page(people: App, signing: int, clock: FixedClock) -> None:
    from accompany.web.app import create_web_app

    from ..web_support import post_form, sign_in, visible_text, with_passwords

    app = with_passwords(people, "sy-design", "sy-build")
    web = create_web_app(app)
    url = f"/projects/{signing}/stages/acceptance/undo"
    clock.advance(minutes=1)
    decide(app, signing, "sy-design")
    design = sign_in(web, "sy-design")
    assert f'href="{url}"' in design.get(f"/projects/{signing}").text
    assert f'href="{url}"' not in sign_in(web, "sy-build").get(f"/projects/{signing}").text
    clock.advance(minutes=1)
    decide(app, signing, "sy-build")
    # the construction company signed since: no button, and a refusal naming it
    assert f'href="{url}"' not in design.get(f"/projects/{signing}").text
    before = snapshot(app)
    refused = post_form(design, url, url, {"reason": "签错了"})
    assert refused.status_code == 409 and "（已通过）" in visible_text(refused.text)
    assert snapshot(app) == before
    builder = sign_in(web, "sy-build")
    done = post_form(builder, url, url, {"reason": "签错了"})
    assert done.status_code == 303
    stage = show_project(app, signing).stages[0]
    assert stage.signing is not None and stage.signing.signed == ["design"]
