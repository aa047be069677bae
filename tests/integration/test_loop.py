"""A failed consent loops back for a new round (``models.loop``), through the service
layer, the web page and the API (SQLite and PostgreSQL): the stages reset, the old
round's ballots archived and not counted in the new tally, one event, the planner,
the street office and the coordinator told; refusals change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from accompany.bootstrap import App
from accompany.clock import FixedClock, parse_moment
from accompany.db.orm import BallotRow, EventRow, NotificationRow
from accompany.models.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleViolation
from accompany.services import commands, households
from accompany.services.audit import verify_log
from accompany.services.consent import cast_ballot, consent_tally
from accompany.services.loop import LoopStage, loop_stage
from accompany.services.public import set_published
from accompany.services.queries import show_project
from accompany.web.app import create_web_app

from ..web_support import client, post_form, sign_in, snapshot, visible_text, with_passwords
from .test_consent import HEADER, ROWS, codes, open_consent


@pytest.fixture
def app(people: App) -> App:
    return with_passwords(people, "wangrb", "zhaoy", "zhangl")


@pytest.fixture
def failed(app: App, project_id: int, clock: FixedClock) -> list[str]:
    """The consent stage in progress with a failing tally: 1 agree, 2 disagree of 4."""
    clock.moment = parse_moment("2026-06-01T10:00")
    households.load_register(app, project_id, HEADER, ROWS, by="zhangl")
    set_published(app, project_id, by="zhangl")
    open_consent(app, project_id)
    found = codes(app, project_id)
    cast_ballot(app, project_id, found[0], "agree")
    cast_ballot(app, project_id, found[1], "disagree")
    cast_ballot(app, project_id, found[2], "disagree", by="wangrb")
    assert not consent_tally(app, project_id).passed
    return found


def loop(app: App, project_id: int, by: str = "wangrb", reason: str = "多数居民反对，修改方案") -> object:
    return loop_stage(app, LoopStage(project_id=project_id, stage="resident-consent", by=by, reason=reason))


def stages(app: App, project_id: int) -> dict[str, tuple[str, int, str | None]]:
    detail = show_project(app, project_id)
    return {
        s.key: (s.state, s.round, s.timing.due.isoformat() if s.timing.due else None) for s in detail.stages
    }


def test_a_loop_resets_the_stages_and_starts_a_new_ballot(
    app: App, project_id: int, failed: list[str], clock: FixedClock
) -> None:
    clock.moment = parse_moment("2026-06-02T10:00")
    outcome = loop(app, project_id)
    assert outcome.kinds() == ["stage.looped", "stage.deadline_set"]  # type: ignore[attr-defined]
    after = stages(app, project_id)
    assert after["design-proposal"][:2] == ("in_progress", 2)
    assert after["design-proposal"][2] == "2026-07-15"  # 30 working days from 2026-06-02 (端午 off)
    assert after["plan-presentation"] == ("pending", 2, None)
    assert after["resident-consent"] == ("pending", 2, None)
    assert after["needs-list"][:2] == ("approved", 1)
    with app.reader() as uow:
        rows = uow.session.scalars(select(BallotRow).where(BallotRow.project_id == project_id)).all()
        assert sorted(r.archived_round for r in rows) == [1, 1, 1]
        event = uow.session.scalars(select(EventRow).where(EventRow.kind == "stage.looped")).one()
        told = uow.session.scalars(
            select(NotificationRow).where(NotificationRow.kind == "stage-looped")
        ).all()
    assert event.data["ballots_archived"] == 3 and event.data["tally"]["agreeing"] == 1
    assert event.data["why"] == "tally_failed" and event.data["target"] == "design-proposal"
    assert sorted(n.audience for n in told) == [
        "person:wangrb",
        "person:zhangl",
        "street-office:taiyanggong",
    ]
    assert verify_log(app).intact

    # the new round: the proposal revised, presented, consulted again — from zero
    with app.uow() as uow:
        from sqlalchemy import update

        from accompany.db.orm import StageRow

        uow.session.execute(
            update(StageRow)
            .where(
                StageRow.project_id == project_id, StageRow.key.in_(("design-proposal", "plan-presentation"))
            )
            .values(state="approved", approved_at=app.now())
        )
        uow.session.execute(
            update(StageRow)
            .where(StageRow.project_id == project_id, StageRow.key == "resident-consent")
            .values(state="in_progress", activated_at=app.now())
        )
        uow.commit()
    fresh = consent_tally(app, project_id)
    assert fresh.participating.households == 0 and fresh.open
    # the same household votes again in the new round (its old ballot stays archived)
    receipt = cast_ballot(app, project_id, failed[1], "agree")
    assert receipt.replaced is None
    assert consent_tally(app, project_id).agreeing.households == 1
    with app.reader() as uow:
        assert (
            uow.session.scalar(
                select(BallotRow).where(BallotRow.archived_round == 1, BallotRow.code == failed[1])
            ).choice
            == "disagree"
        )  # type: ignore[union-attr]


def test_refusals_say_why_and_change_nothing(
    app: App, project_id: int, failed: list[str], clock: FixedClock
) -> None:
    clock.moment = parse_moment("2026-06-02T10:00")
    before = snapshot(app)
    with pytest.raises(PermissionDenied):
        loop(app, project_id, by="zhaoy")
    with pytest.raises(InvalidInput, match="needs a reason"):
        loop(app, project_id, reason="  ")
    with pytest.raises(NotFound):
        loop_stage(app, LoopStage(project_id=project_id, stage="nope", by="wangrb", reason="x"))
    with pytest.raises(Conflict, match="declares no loop"):
        loop_stage(app, LoopStage(project_id=project_id, stage="plan-presentation", by="wangrb", reason="x"))
    assert snapshot(app) == before
    # a passing tally: mark the stage done instead
    cast_ballot(app, project_id, failed[1], "agree")
    cast_ballot(app, project_id, failed[2], "agree")
    cast_ballot(app, project_id, failed[3], "agree")
    passed = snapshot(app)
    with pytest.raises(Conflict, match="passes"):
        loop(app, project_id)
    assert snapshot(app) == passed
    commands.cancel_project(app, commands.CancelProject(project_id=project_id, by="zhaoy", reason="终止"))
    with pytest.raises(Conflict, match="cancelled"):
        loop(app, project_id)


def test_the_failed_consent_message_names_both_ways(app: App, project_id: int, failed: list[str]) -> None:
    with pytest.raises(RuleViolation) as caught:
        commands.complete_stage(
            app,
            commands.CompleteStage(project_id=project_id, stage="resident-consent", by="wangrb", evidence={}),
        )
    assert "accompany stage loop" in str(caught.value) and "accompany project cancel" in str(caught.value)


def test_the_failed_consent_refusal_names_each_edges_own_means(
    app: App, project_id: int, failed: list[str], clock: FixedClock
) -> None:
    """The CLI names its commands (above); the web page names the project page's
    buttons by their labels and the API its endpoints — neither tells a CLI command
    to someone who cannot type one."""
    clock.moment = parse_moment("2026-06-02T10:00")
    web = create_web_app(app)
    done = f"/projects/{project_id}/stages/resident-consent/done"
    from accompany.services import accounts

    token = accounts.create_api_token(app, "wangrb", "t", by="operator").token
    before = snapshot(app)
    refused = post_form(sign_in(web, "wangrb"), done, done, {})
    assert refused.status_code == 422
    said = visible_text(refused.text)
    assert "请在项目页点击「修改方案重新征询」发起新一轮征询，或点击「终止项目」" in said
    assert "accompany stage" not in said and "accompany project" not in said
    # the buttons it names are the project page's, by the same labels
    box = visible_text(sign_in(web, "zhangl").get(f"/projects/{project_id}").text)
    assert "修改方案重新征询" in box and "终止项目" in box
    answer = client(web).post(
        f"/api/v1{done}", headers={"Authorization": f"Bearer {token}"}, json={"evidence": {}}
    )
    assert answer.status_code == 422
    error = answer.json()["error"]
    loop_endpoint = f"POST /api/v1/projects/{project_id}/stages/resident-consent/loop"
    assert (
        loop_endpoint in error["message"] and f"POST /api/v1/projects/{project_id}/cancel" in error["message"]
    )
    assert "accompany stage" not in error["message"] and "accompany project" not in error["message"]
    assert any(loop_endpoint in p["message"] for p in error["problems"])
    assert snapshot(app) == before


def test_the_box_on_the_project_page_and_the_api(
    app: App, project_id: int, failed: list[str], clock: FixedClock
) -> None:
    clock.moment = parse_moment("2026-06-02T10:00")
    web = create_web_app(app)
    url = f"/projects/{project_id}"
    action = f"/projects/{project_id}/stages/resident-consent/loop"
    planner = sign_in(web, "wangrb")
    page = planner.get(url).text
    assert f'action="{action}"' in page and "重新征询" in visible_text(page)
    assert f'action="{action}"' in sign_in(web, "zhangl").get(url).text
    # the street office: only the other way, closing the project
    office_page = sign_in(web, "zhaoy").get(url).text
    assert (
        f'action="/projects/{project_id}/cancel"' in office_page and f'action="{action}"' not in office_page
    )
    before = snapshot(app)
    assert planner.post(action, data={"reason": "x"}).status_code == 403  # no CSRF token
    empty = post_form(planner, url, action, {"reason": " "})
    assert empty.status_code == 400 and 'id="error-reason"' in empty.text
    office = post_form(sign_in(web, "zhaoy"), url, action, {"reason": "x"})
    assert office.status_code == 403
    assert snapshot(app) == before
    # the API: a street office is refused, the planner loops
    from accompany.services import accounts

    def bearer(who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {accounts.create_api_token(app, who, 't', by='operator').token}"}

    c = client(web)
    api = f"/api/v1/projects/{project_id}/stages/resident-consent/loop"
    assert c.post(api, headers=bearer("zhaoy"), json={"reason": "x"}).status_code == 403
    done = c.post(api, headers=bearer("wangrb"), json={"reason": "<b>方案</b>需修改"})
    assert done.status_code == 200, done.text
    assert stages(app, project_id)["design-proposal"][:2] == ("in_progress", 2)
    after = planner.get(url).text
    assert f'action="{action}"' not in after
    # the audit log names the new round; the reason is escaped
    assert "重新开始一轮" in after and "<b>方案</b>" not in after and "&lt;b&gt;方案&lt;/b&gt;" in after


def test_a_loop_withdraws_a_waiting_extension_request(
    app: App, project_id: int, failed: list[str], clock: FixedClock
) -> None:
    """The planner asked the street office for more days on the consent, then the
    ballot failed: the loop withdraws the request (its round is over), with an event
    saying why; it leaves the street office's worklist (service, page, API) and the
    planner sees it withdrawn."""
    from accompany.db.orm import ExtensionRow
    from accompany.services.worklists import my_work

    from .test_joint_signing import people_get

    clock.moment = parse_moment("2026-06-01T15:00")
    commands.request_extension(
        app,
        commands.RequestExtension(
            project_id=project_id,
            stage="resident-consent",
            by="wangrb",
            working_days=5,
            reason="入户征询需更多时间",
        ),
    )
    office = people_get(app, "zhaoy")
    assert [(x.project_id, x.stage) for x in my_work(app, office).extension_requests] == [
        (project_id, "resident-consent")
    ]
    web = create_web_app(app)
    office_web = sign_in(web, "zhaoy")
    decide = f"/projects/{project_id}/stages/resident-consent/extension/decide"
    assert decide in office_web.get("/").text

    clock.moment = parse_moment("2026-06-02T10:00")
    outcome = loop(app, project_id)
    assert outcome.kinds() == ["stage.looped", "stage.extension_withdrawn", "stage.deadline_set"]  # type: ignore[attr-defined]

    assert my_work(app, office).extension_requests == []
    page = office_web.get("/").text
    assert decide not in page and "入户征询需更多时间" not in page
    from accompany.services import accounts

    token = accounts.create_api_token(app, "zhaoy", "t", by="operator").token
    work = client(web).get("/api/v1/work", headers={"Authorization": f"Bearer {token}"}).json()
    assert work["extension_requests"] == []
    mine = my_work(app, people_get(app, "wangrb")).extension_decisions
    assert [(x.stage, x.status, x.decided_by) for x in mine] == [("resident-consent", "withdrawn", "王若冰")]
    with app.reader() as uow:
        request = uow.session.scalars(select(ExtensionRow)).one()
        event = uow.session.scalars(
            select(EventRow).where(EventRow.kind == "stage.extension_withdrawn")
        ).one()
        looped = uow.session.scalars(select(EventRow).where(EventRow.kind == "stage.looped")).one()
    assert (request.status, request.decided_by) == ("withdrawn", "wangrb")
    assert event.stage_key == "resident-consent" and event.actor == "wangrb"
    assert event.data["why"] == "new_round" and event.data["working_days"] == 5
    assert looped.data["extensions_withdrawn"] == {"resident-consent": 5}
    assert verify_log(app).intact
    # the audit log on the project page says what became of it and why
    text = visible_text(sign_in(web, "wangrb").get(f"/projects/{project_id}?events=all").text)
    assert "延期申请已撤销" in text and "因重新征询而撤销" in text
    # the quarter's report lists it as withdrawn, not as waiting for a decision
    from accompany.models.report import Quarter
    from accompany.services.reports import quarterly_report

    clock.advance(minutes=1)
    listed = quarterly_report(app, Quarter.parse("2026Q2")).extensions
    assert [(x["stage"], x["status"]) for x in listed] == [("resident-consent", "withdrawn")]
    # a stale decision is refused, nothing changes
    before = snapshot(app)
    with pytest.raises(Conflict, match="no longer waits for a decision: withdrawn by a new round"):
        commands.decide_extension(
            app,
            commands.DecideExtension(project_id=project_id, stage="resident-consent", by="zhaoy", grant=True),
        )
    assert snapshot(app) == before


def test_the_loop_page_opened_by_its_address_says_why_not_instead_of_a_form(
    app: App, project_id: int, failed: list[str], clock: FixedClock
) -> None:
    """The loop page by its address: for the failed consent the planner sees the form;
    for a stage with no new round, or for a street office, the rule's own words and
    the way back — no form claiming a ballot failed, and no CLI option or template key."""
    clock.moment = parse_moment("2026-06-02T10:00")
    web = create_web_app(app)
    planner, office = sign_in(web, "wangrb"), sign_in(web, "zhaoy")
    consent = f"/projects/{project_id}/stages/resident-consent/loop"
    assert 'action="' + consent + '"' in planner.get(consent).text
    other = planner.get(f"/projects/{project_id}/stages/post-evaluation/loop")
    assert other.status_code == 409
    shown = visible_text(other.text)
    assert "只能取消" in shown and "on_failure" not in shown and "project cancel" not in shown
    assert "本轮表决未通过" not in shown and 'action="/projects/' not in other.text.split("<footer")[0]
    refused = office.get(consent)
    assert refused.status_code == 403 and 'action="/projects/' not in refused.text.split("<footer")[0]
