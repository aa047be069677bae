"""Delegation on the web (both databases): a street-office person names a
substitute on their account page (CSRF), sees and ends it; the project's audit log
shows a substitute's decision with both names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accompany.bootstrap import App
from accompany.clock import parse_moment
from accompany.services import commands
from accompany.services.commands import DecideApproval
from accompany.services.delegation import list_delegations
from accompany.web.app import create_web_app

from ..web_support import post_form, sign_in, visible_text, with_passwords
from .test_services import survey_done


@pytest.fixture
def app(people: App) -> App:
    return with_passwords(people, "zhaoy", "wangrb")


@pytest.fixture
def web(app: App):  # type: ignore[no-untyped-def]
    return create_web_app(app)


def test_name_a_substitute_see_it_and_end_it(web, app: App, project_id: int, evidence_file: Path) -> None:  # type: ignore[no-untyped-def]
    c = sign_in(web, "zhaoy")
    page = c.get("/account")
    assert page.status_code == 200 and 'action="/account/delegations"' in page.text
    # the substitute is picked by name among the street offices of the district (not oneself,
    # not another district's)
    assert '<option value="lij">李静</option>' in page.text
    assert '<option value="sunh">孙浩</option>' in page.text
    assert 'value="zhaoy"' not in page.text and 'value="guoj"' not in page.text
    # without the CSRF token: refused, nothing recorded
    assert (
        c.post(
            "/account/delegations", data={"to": "lij", "from": "2026-03-05", "until": "2026-03-20"}
        ).status_code
        == 403
    )
    assert list_delegations(app) == []
    refused = post_form(
        c, "/account", "/account/delegations", {"to": "guoj", "from": "2026-03-05", "until": "2026-03-20"}
    )
    assert refused.status_code == 400 and "不属于同一个区" in visible_text(refused.text)
    nobody = post_form(
        c, "/account", "/account/delegations", {"to": "", "from": "2026-03-05", "until": "2026-03-20"}
    )
    assert nobody.status_code == 400 and "请选择代理人" in visible_text(nobody.text)
    # sent empty: every missing field at once, each next to its field (it told the
    # substitute only, then the dates in the next round)
    empty = post_form(c, "/account", "/account/delegations", {"to": "", "from": "", "until": ""})
    shown = visible_text(empty.text)
    assert empty.status_code == 400 and "有 3 处需要修改" in shown, shown
    assert 'id="error-from"' in empty.text and 'id="error-until"' in empty.text
    done = post_form(
        c,
        "/account",
        "/account/delegations",
        {"to": "李静", "from": "2026-03-05", "until": "2026-03-20", "reason": "出差"},
    )
    # answered by a redirect: reloading the page does not send the form again (a reload
    # was refused with 代理 #1 已指定 李静…请先结束该代理, about the one just named)
    assert done.status_code == 303 and done.headers["location"] == "/account#delegations"
    page = c.get("/account")
    text = visible_text(page.text)
    assert "李静" in text and "2026-03-20" in text and "已指定代理人" in text
    assert "已指定代理人" not in visible_text(c.get("/account").text)  # said once
    # a second one over the same days names the first substitute by name, not id
    overlap = post_form(
        c, "/account", "/account/delegations", {"to": "sunh", "from": "2026-03-10", "until": "2026-03-12"}
    )
    assert overlap.status_code == 409 and "已指定 李静" in visible_text(overlap.text)
    # what was typed stays in the form
    assert '<option value="sunh" selected>' in overlap.text and 'value="2026-03-12"' in overlap.text
    [delegation] = list_delegations(app)
    # the substitute decides; the audit log names both
    app.clock.moment = parse_moment("2026-03-10T09:00")  # type: ignore[attr-defined]
    survey_done(app, project_id, evidence_file)
    commands.decide_approval(
        app, DecideApproval(project_id=project_id, stage="needs-survey", by="lij", decision="approve")
    )
    c = sign_in(web, "zhaoy")  # a week later: a new session
    project_page = visible_text(c.get(f"/projects/{project_id}").text)
    assert "李静（代 赵阳）" in project_page
    # and so does the paged audit log
    assert "李静（代 赵阳）" in visible_text(c.get(f"/projects/{project_id}/events").text)
    ended = post_form(c, "/account", f"/account/delegations/{delegation.id}/end", {})
    assert ended.status_code == 303 and "代理已结束" in visible_text(c.get("/account").text)
    assert list_delegations(app)[0].status == "ended"
    # a planner has no substitute form
    planner = sign_in(web, "wangrb")
    assert 'action="/account/delegations"' not in planner.get("/account").text
    # …nor the section that told her a substitute would approve for her street
    assert "我不在时的代理人" not in visible_text(planner.get("/account").text)
    assert "我不在时的代理人" in visible_text(c.get("/account").text)


def test_a_substitutes_work_lists_what_waits_for_whoever_they_stand_in_for(
    web, app: App, project_id: int, evidence_file: Path
) -> None:  # type: ignore[no-untyped-def]
    """李静 decides for 赵阳 from 3-10 to 3-20: on her "my work" page, 赵阳's waiting
    submission appears under its own heading with a link to decide, only while the
    delegation is in effect; her own list stays hers."""
    import datetime as dt

    from accompany.services.delegation import delegate
    from accompany.services.worklists import my_work

    with_passwords(app, "lij")
    app.clock.moment = parse_moment("2026-03-09T09:00")  # type: ignore[attr-defined]
    survey_done(app, project_id, evidence_file)
    delegate(
        app,
        "zhaoy",
        to="lij",
        starts_on=dt.date(2026, 3, 10),
        ends_on=dt.date(2026, 3, 20),
        by="zhaoy",
        reason="出差",
    )
    before = visible_text(sign_in(web, "lij").get("/").text)
    assert "代 赵阳" not in before  # the delegation has not begun
    app.clock.moment = parse_moment("2026-03-10T09:00")  # type: ignore[attr-defined]
    page = sign_in(web, "lij").get("/")
    text = visible_text(page.text)
    assert "代 赵阳 审批" in text and "需求调研" in text, text[:800]
    assert f'href="/projects/{project_id}/stages/needs-survey/decide"' in page.text
    with app.reader() as uow:
        person = uow.people.get("lij")
    work = my_work(app, person)
    [standing] = work.standing_in
    assert standing.delegator == "zhaoy" and standing.until == dt.date(2026, 3, 20)
    assert [(i.project_id, i.stage) for i in standing.to_decide] == [(project_id, "needs-survey")]
    assert all(i.project_id != project_id for i in work.to_decide)
    app.clock.moment = parse_moment("2026-03-21T09:00")  # type: ignore[attr-defined]
    assert "代 赵阳" not in visible_text(sign_in(web, "lij").get("/").text)


def test_delegations_through_the_api(web, app: App) -> None:  # type: ignore[no-untyped-def]
    """Name a substitute, list and end it with an API token; refusals are JSON with
    the CLI's classes and change nothing."""
    from accompany.services import accounts

    from ..web_support import client, snapshot

    def bearer(person: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {accounts.create_api_token(app, person, 'test', by='operator').token}"
        }

    app.clock.moment = parse_moment("2026-03-09T09:00")  # type: ignore[attr-defined]
    c = client(web)
    zhaoy, planner = bearer("zhaoy"), bearer("wangrb")
    before = snapshot(app)
    itself = c.post(
        "/api/v1/delegations",
        json={"to": "zhaoy", "starts_on": "2026-03-10", "ends_on": "2026-03-20"},
        headers=zhaoy,
    )
    assert itself.status_code == 400 and itself.json()["error"]["fields"] == ["to"], itself.text
    by_planner = c.post(
        "/api/v1/delegations",
        json={"to": "lij", "starts_on": "2026-03-10", "ends_on": "2026-03-20"},
        headers=planner,
    )
    assert by_planner.status_code in (403, 422), by_planner.text
    assert c.post("/api/v1/delegations", json={"to": "lij"}, headers=zhaoy).status_code == 400
    assert snapshot(app) == before
    made = c.post(
        "/api/v1/delegations",
        json={"to": "李静", "starts_on": "2026-03-10", "ends_on": "2026-03-20", "reason": "出差"},
        headers=zhaoy,
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["delegator"], body["substitute"], body["ends_on"], body["status"]) == (
        "zhaoy",
        "lij",
        "2026-03-20",
        "upcoming",
    ), body
    listed = c.get("/api/v1/delegations", headers=zhaoy).json()
    assert [d["id"] for d in listed] == [body["id"]]
    assert c.post(f"/api/v1/delegations/{body['id']}/end", headers=planner).status_code == 403
    assert c.post("/api/v1/delegations/99999/end", headers=zhaoy).status_code == 404
    assert c.post("/api/v1/delegations/abc/end", headers=zhaoy).status_code == 404
    ended = c.post(f"/api/v1/delegations/{body['id']}/end", headers=zhaoy)
    assert ended.status_code == 200 and ended.json()["status"] == "ended", ended.text


def _decisions(page: str, stage: str) -> list[str]:
    """The decisions listed under a stage on the project page, as people read them."""
    section = page.split(f'id="stage-{stage}"', 1)[1]
    listed = re.search(r'<ul class="decisions">(.*?)</ul>', section, flags=re.S)
    assert listed, "no decisions listed under the stage"
    return [visible_text(item).strip() for item in re.findall(r"<li[^>]*>(.*?)</li>", listed.group(1), re.S)]


def test_a_substitutes_decisions_name_whom_they_were_for_on_the_project_page(
    web, app: App, project_id: int, evidence_file: Path
) -> None:  # type: ignore[no-untyped-def]
    """赵阳 returns the stage himself; from 3-05 李静 decides in his place: she grants
    an extension, returns and approves. The stage's decisions (not only the audit
    log) say 李静（代 赵阳） for hers and 赵阳 alone for his, the planner's form says
    who returned it, and the API gives whom a decision was for in added fields."""
    from accompany.services import accounts
    from accompany.services.commands import CompleteStage, RequestExtension

    from ..web_support import client
    from .test_delegation import zhaoy_away

    with_passwords(app, "lij")
    clock = app.clock
    zhaoy_away(app)  # 李静 decides for 赵阳 from 3-05 to 3-20
    clock.moment = parse_moment("2026-03-04T09:00")  # type: ignore[attr-defined]
    survey_done(app, project_id, evidence_file)
    commands.decide_approval(
        app,
        DecideApproval(
            project_id=project_id, stage="needs-survey", by="zhaoy", decision="return", comment="请补充照片"
        ),
    )
    clock.moment = parse_moment("2026-03-05T09:00")  # type: ignore[attr-defined]
    commands.request_extension(
        app,
        RequestExtension(
            project_id=project_id, stage="needs-survey", by="wangrb", working_days=5, reason="雨季"
        ),
    )
    commands.decide_extension(
        app, commands.DecideExtension(project_id=project_id, stage="needs-survey", by="lij", grant=True)
    )
    clock.moment = parse_moment("2026-03-10T09:00")  # type: ignore[attr-defined]
    survey_done(app, project_id, evidence_file)
    commands.decide_approval(
        app,
        DecideApproval(
            project_id=project_id, stage="needs-survey", by="lij", decision="return", comment="缺少无障碍标注"
        ),
    )
    # the planner's form says who sent it back, and for whom
    done_form = visible_text(
        sign_in(web, "wangrb").get(f"/projects/{project_id}/stages/needs-survey/done").text
    )
    assert "李静（代 赵阳）" in done_form and "缺少无障碍标注" in done_form, done_form[:800]
    commands.complete_stage(
        app,
        CompleteStage(
            project_id=project_id,
            stage="needs-survey",
            by="wangrb",
            evidence={"households_interviewed": "32", "observation_days": "4"},
        ),
    )
    clock.moment = parse_moment("2026-03-11T09:00")  # type: ignore[attr-defined]
    commands.decide_approval(
        app, DecideApproval(project_id=project_id, stage="needs-survey", by="lij", decision="approve")
    )

    page = sign_in(web, "zhaoy").get(f"/projects/{project_id}").text
    returned_by_him, returned_by_her, approved_by_her = _decisions(page, "needs-survey")
    assert "赵阳" in returned_by_him and "代" not in returned_by_him and "李静" not in returned_by_him
    assert returned_by_her.startswith("退回") and "· 李静（代 赵阳） ·" in returned_by_her, returned_by_her
    assert approved_by_her.startswith("通过") and "· 李静（代 赵阳） ·" in approved_by_her, approved_by_her
    section = page.split('id="stage-needs-survey"', 1)[1]
    [extension] = re.findall(r'<p class="extension">(.*?)</p>', section, flags=re.S)
    assert "· 李静（代 赵阳）" in visible_text(extension), visible_text(extension)

    # the API: whom each decision was for, in added fields; by and by_name unchanged
    token = accounts.create_api_token(app, "zhaoy", "test", by="operator").token
    body = client(web).get(f"/api/v1/projects/{project_id}", headers={"Authorization": f"Bearer {token}"})
    assert body.status_code == 200, body.text
    [stage] = [s for s in body.json()["stages"] if s["key"] == "needs-survey"]
    assert [
        (a["by"], a["by_name"], a["on_behalf_of"], a["on_behalf_of_name"]) for a in stage["approvals"]
    ] == [
        ("zhaoy", "赵阳", None, None),
        ("lij", "李静", "zhaoy", "赵阳"),
        ("lij", "李静", "zhaoy", "赵阳"),
    ]
    [x] = stage["extensions"]
    assert (
        x["decided_by"],
        x["decided_by_name"],
        x["decided_on_behalf_of"],
        x["decided_on_behalf_of_name"],
    ) == (
        "lij",
        "李静",
        "zhaoy",
        "赵阳",
    )


def test_the_decide_page_tells_a_substitute_whom_she_decides_for(
    web, app: App, project_id: int, evidence_file: Path
) -> None:  # type: ignore[no-untyped-def]
    """On the decide page, 李静 standing in for 赵阳 reads for whom and until when,
    above the buttons (and again when the form comes back with a problem); 赵阳
    deciding as himself reads nothing of the kind; nor does she once the delegation
    is over."""
    from .test_delegation import zhaoy_away

    with_passwords(app, "lij")
    zhaoy_away(app)
    app.clock.moment = parse_moment("2026-03-10T09:00")  # type: ignore[attr-defined]
    survey_done(app, project_id, evidence_file)
    decide = f"/projects/{project_id}/stages/needs-survey/decide"
    approve = f'action="/projects/{project_id}/stages/needs-survey/approve"'
    told = "您正代 赵阳（太阳宫街道办事处）审批此阶段（代理期至 2026-03-20）。"

    substitute = sign_in(web, "lij")
    page = substitute.get(decide)
    assert page.status_code == 200 and approve in page.text
    notice = re.search(r'<p class="notice deciding-for"[^>]*>(.*?)</p>', page.text, flags=re.S)
    assert notice and visible_text(notice.group(1)).strip() == told, visible_text(page.text)[:800]
    assert page.text.index("deciding-for") < page.text.index(approve)  # above the buttons
    # a return without a reason comes back with the problem, still saying for whom
    again = post_form(
        substitute, decide, f"/projects/{project_id}/stages/needs-survey/return", {"reason": " "}
    )
    assert again.status_code == 400 and told in visible_text(again.text)

    own = sign_in(web, "zhaoy").get(decide)
    assert own.status_code == 200 and approve in own.text
    assert "deciding-for" not in own.text and "您正代" not in visible_text(own.text)

    app.clock.moment = parse_moment("2026-03-21T09:00")  # type: ignore[attr-defined]
    over = sign_in(web, "lij").get(decide)
    assert approve not in over.text and "您正代" not in visible_text(over.text)


def test_the_extension_decide_page_tells_a_substitute_whom_she_decides_for(
    web, app: App, project_id: int
) -> None:  # type: ignore[no-untyped-def]
    """As the stage's decide page does: 李静 standing in for 赵阳 reads on the
    extension request's page for whom and until when, above the grant and refuse
    forms; 赵阳 deciding it himself reads nothing of the kind."""
    from .test_delegation import zhaoy_away

    with_passwords(app, "lij")
    zhaoy_away(app)
    app.clock.moment = parse_moment("2026-03-10T09:00")  # type: ignore[attr-defined]
    commands.request_extension(
        app,
        commands.RequestExtension(
            project_id=project_id, stage="needs-survey", by="wangrb", working_days=5, reason="雨季"
        ),
    )
    decide = f"/projects/{project_id}/stages/needs-survey/extension/decide"
    grant = f'action="/projects/{project_id}/stages/needs-survey/extension/grant"'
    told = "您正代 赵阳（太阳宫街道办事处）审批此延期申请（代理期至 2026-03-20）。"
    page = sign_in(web, "lij").get(decide)
    assert page.status_code == 200 and grant in page.text, visible_text(page.text)[:600]
    notice = re.search(r'<p class="notice deciding-for"[^>]*>(.*?)</p>', page.text, flags=re.S)
    assert notice and visible_text(notice.group(1)).strip() == told, visible_text(page.text)[:800]
    assert page.text.index("deciding-for") < page.text.index(grant)
    own = sign_in(web, "zhaoy").get(decide)
    assert own.status_code == 200 and grant in own.text
    assert "deciding-for" not in own.text and "您正代" not in visible_text(own.text)


def test_the_planners_work_says_whom_a_substitute_returned_the_stage_for(
    web, app: App, project_id: int, evidence_file: Path
) -> None:  # type: ignore[no-untyped-def]
    """The planner's card of a returned stage on 我的待办 names the substitute and
    whom she returned it for, as the project page does — it said 李静 alone."""
    from accompany.services.commands import DecideApproval

    from .test_delegation import zhaoy_away

    with_passwords(app, "wangrb")
    zhaoy_away(app)
    app.clock.moment = parse_moment("2026-03-10T09:00")  # type: ignore[attr-defined]
    survey_done(app, project_id, evidence_file)
    commands.decide_approval(
        app,
        DecideApproval(
            project_id=project_id, stage="needs-survey", by="lij", decision="return", comment="请补充照片"
        ),
    )
    work = visible_text(sign_in(web, "wangrb").get("/").text)
    assert "李静（代 赵阳） 于 2026-03-10 09:00 退回：" in work, work[:800]
