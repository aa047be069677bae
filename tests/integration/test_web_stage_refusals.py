"""Stage forms opened by their address by someone the rule refuses show the rule's
words and the way back (403/409), not a form; an extension request waits only while
its stage's clock runs; the approver reads the planner's note (ASGI, both databases)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from accompany.bootstrap import App
from accompany.clock import parse_moment
from accompany.web.app import create_web_app

from ..web_support import csrf_of, post_form, sign_in, snapshot, visible_text, with_passwords

PDF = b"%PDF-1.4 problem map"


@pytest.fixture
def app(people: App) -> App:
    return with_passwords(people, "wangrb", "zhaoy", "zhangl")


@pytest.fixture
def web(app: App):  # type: ignore[no-untyped-def]
    return create_web_app(app)


def _forms(page: str) -> bool:
    """Whether the page's content holds a form acting on the project."""
    return 'action="/projects/' in page.split("<footer")[0]


def _url(project_id: int, tail: str) -> str:
    return f"/projects/{project_id}/stages/needs-survey/{tail}"


def _submit(c, project_id: int, note: str = "请重点看<b>问题地图</b>"):  # type: ignore[no-untyped-def]
    return post_form(
        c,
        _url(project_id, "done"),
        _url(project_id, "done"),
        {"evidence.households_interviewed": "36", "evidence.observation_days": "4", "note": note},
        files=[("attach.problem_map", ("问题地图.pdf", PDF, "application/pdf"))],
    )


def _ask_for_time(c, project_id: int):  # type: ignore[no-untyped-def]
    return post_form(
        c, _url(project_id, "extension"), _url(project_id, "extension"), {"days": "5", "reason": "居民外出"}
    )


def test_an_extension_request_is_withdrawn_when_its_stage_is_done_and_cannot_be_granted(
    web, app: App, project_id: int
) -> None:  # type: ignore[no-untyped-def]
    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    planner, office = sign_in(web, "wangrb"), sign_in(web, "zhaoy")
    assert _ask_for_time(planner, project_id).status_code == 303
    assert "居民外出" in visible_text(office.get("/").text)
    app.clock.moment = parse_moment("2026-03-30T10:05")  # type: ignore[attr-defined]
    assert _submit(planner, project_id).status_code == 303
    assert post_form(office, _url(project_id, "decide"), _url(project_id, "approve"), {}).status_code == 303
    # no longer in the office's work, and the decide page says why, with no form
    assert "居民外出" not in visible_text(office.get("/").text)
    page = office.get(_url(project_id, "extension/decide"))
    assert page.status_code == 409
    assert "已不在待审批" in visible_text(page.text)
    assert not _forms(page.text) and f'href="/projects/{project_id}#stage-needs-survey"' in page.text
    before = snapshot(app)
    token_page = office.get(f"/projects/{project_id}")
    response = office.post(
        _url(project_id, "extension/grant"), data={"days": "5", "csrf": csrf_of(token_page.text)}
    )
    assert response.status_code == 409 and 'action="/projects/' not in response.text.split("<footer")[0]
    assert snapshot(app) == before
    # the withdrawal is recorded; the quarter counts the request, not a grant
    with app.engine.connect() as connection:
        kinds = [
            k
            for (k,) in connection.execute(
                text("SELECT kind FROM event WHERE project_id = :p ORDER BY id"), {"p": project_id}
            )
        ]
    assert "stage.extension_withdrawn" in kinds and "stage.extension_granted" not in kinds
    # the planner and the project page read why it was withdrawn, not every reason it might have been
    for page in (planner.get("/").text, planner.get(f"/projects/{project_id}").text):
        assert "已撤销：阶段已先提交完成" in visible_text(page) and "或项目已取消" not in page


def test_a_granted_extension_reads_as_chinese_on_my_work(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    planner, office = sign_in(web, "wangrb"), sign_in(web, "zhaoy")
    assert _ask_for_time(planner, project_id).status_code == 303
    response = post_form(
        office,
        _url(project_id, "extension/decide"),
        _url(project_id, "extension/grant"),
        {"days": "3", "comment": "抓紧"},
    )
    assert response.status_code == 303
    text = visible_text(planner.get("/").text)
    assert "已批准 赵阳 准予延期 3 个工作日：抓紧" in text
    project = visible_text(planner.get(f"/projects/{project_id}").text)
    assert "3 个工作日 · 赵阳：抓紧" in project and ": 抓紧" not in project


def test_a_grant_with_the_days_emptied_grants_nothing(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    """The street office cleared 「批准的工作日数」 and pressed 批准: the whole request (5
    days) was granted. The field is required now, and an empty one is told next to it,
    with the comment kept and nothing decided."""
    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    planner, office = sign_in(web, "wangrb"), sign_in(web, "zhaoy")
    assert _ask_for_time(planner, project_id).status_code == 303
    form = office.get(_url(project_id, "extension/decide")).text
    assert re.search(r'<input[^>]*name="days"[^>]*required', form)
    before = snapshot(app)
    for days in ("", "  "):
        response = post_form(
            office,
            _url(project_id, "extension/decide"),
            _url(project_id, "extension/grant"),
            {"days": days, "comment": "意见保留"},
        )
        shown = visible_text(response.text)
        assert response.status_code == 400, shown
        assert "工作日数" in shown and "意见保留" in response.text
        assert snapshot(app) == before


def test_forms_the_rule_refuses_are_not_shown(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    planner, office = sign_in(web, "wangrb"), sign_in(web, "zhaoy")
    assert _ask_for_time(planner, project_id).status_code == 303
    # the planner cannot decide their own request
    page = planner.get(_url(project_id, "extension/decide"))
    assert page.status_code == 403 and not _forms(page.text)
    assert f'href="/projects/{project_id}#stage-needs-survey"' in page.text
    # the street office does not mark the planner's stage done
    page = office.get(_url(project_id, "done"))
    assert page.status_code == 403 and 'type="file"' not in page.text and not _forms(page.text)
    # nor asks for time, nor pauses the clock (the coordinator's)
    assert office.get(_url(project_id, "extension")).status_code == 403
    assert office.get(_url(project_id, "pause")).status_code == 403
    # nothing to undo
    page = office.get(_url(project_id, "undo"))
    assert page.status_code == 409 and 'name="reason"' not in page.text
    # a second request while one waits: the rule's words, no form
    page = planner.get(_url(project_id, "extension"))
    assert page.status_code == 409 and 'name="days"' not in page.text
    # who may, sees the form
    assert office.get(_url(project_id, "extension/decide")).status_code == 200
    assert planner.get(_url(project_id, "done")).status_code == 200
    assert sign_in(web, "zhangl").get(_url(project_id, "pause")).status_code == 200


def test_the_approver_reads_the_planners_note_and_the_previous_return(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    planner, office = sign_in(web, "wangrb"), sign_in(web, "zhaoy")
    assert _submit(planner, project_id, note="第一次提交").status_code == 303
    response = post_form(
        office, _url(project_id, "decide"), _url(project_id, "return"), {"reason": "缺少驻场照片"}
    )
    assert response.status_code == 303
    assert _submit(planner, project_id).status_code == 303
    page = office.get(_url(project_id, "decide"))
    text = visible_text(page.text)
    assert "请重点看<b>问题地图</b>" in text and "&lt;b&gt;" in page.text and "<b>问题地图" not in page.text
    assert "第一次提交" not in text
    assert "缺少驻场照片" in text
    card = visible_text(office.get(f"/projects/{project_id}").text)
    assert "请重点看<b>问题地图</b>" in card


def _item(page: str, project_id: int) -> str:
    """The to-do card of the project's needs survey on "my work"."""
    return page.split(f'id="item-{project_id}-needs-survey"', 1)[1].split("</article>", 1)[0]


def test_my_work_offers_no_mark_done_on_a_paused_stage_but_says_it_is_paused(
    web, app: App, project_id: int
) -> None:  # type: ignore[no-untyped-def]
    """The to-do list asks the same rule as the stage form: a stage whose clock the
    coordinator paused shows its pause, not a button whose form would be refused;
    the same holds for a stage returned to the planner."""
    from accompany.services import commands
    from accompany.services.commands import PauseClock, ResumeClock

    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    planner = sign_in(web, "wangrb")
    card = _item(planner.get("/").text, project_id)
    assert f'href="/projects/{project_id}/stages/needs-survey/done"' in card
    commands.pause_clock(
        app, PauseClock(project_id=project_id, stage="needs-survey", by="zhangl", reason="等待意见")
    )
    card = _item(planner.get("/").text, project_id)
    assert "/done" not in card and 'role="button"' not in card
    assert "计时暂停" in visible_text(card) and "等待意见" in visible_text(card)
    assert "请联系协调人恢复计时" in visible_text(card)
    assert planner.get(_url(project_id, "done")).status_code == 422  # the form says the same
    # returned, then paused: no "fix and submit again" either
    commands.resume_clock(app, ResumeClock(project_id=project_id, stage="needs-survey", by="zhangl"))
    assert _submit(planner, project_id).status_code == 303
    office = sign_in(web, "zhaoy")
    assert (
        post_form(
            office, _url(project_id, "decide"), _url(project_id, "return"), {"reason": "缺少驻场照片"}
        ).status_code
        == 303
    )
    card = _item(planner.get("/").text, project_id)
    assert f'href="/projects/{project_id}/stages/needs-survey/done"' in card
    commands.pause_clock(
        app, PauseClock(project_id=project_id, stage="needs-survey", by="zhangl", reason="等待意见")
    )
    card = _item(planner.get("/").text, project_id)
    assert "缺少驻场照片" in visible_text(card) and "/done" not in card and "计时暂停" in visible_text(card)


def test_the_approver_reads_each_file_under_its_evidence_label(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    planner, office = sign_in(web, "wangrb"), sign_in(web, "zhaoy")
    response = post_form(
        planner,
        _url(project_id, "done"),
        _url(project_id, "done"),
        {"evidence.households_interviewed": "36", "evidence.observation_days": "4", "note": "见附件"},
        files=[("attach.problem_map", ("map.pdf", PDF, "application/pdf"))],
    )
    assert response.status_code == 303
    page = office.get(_url(project_id, "decide")).text
    evidence = page.split('<dl class="evidence">', 1)[1].split("</dl>", 1)[0]
    assert re.search(r"<dt>问题地图</dt>\s*<dd>.*?>map\.pdf</a>", evidence, re.S)


def test_a_pdf_sent_as_a_site_photo_is_refused_next_to_the_field(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    """The photos field takes images: a PDF sent past the browser's accept filter is
    refused on the server, in the reader's words next to the field, nothing stored."""
    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    planner = sign_in(web, "wangrb")
    before = snapshot(app)
    response = post_form(
        planner,
        _url(project_id, "done"),
        _url(project_id, "done"),
        {"evidence.households_interviewed": "36", "evidence.observation_days": "4"},
        files=[
            ("attach.problem_map", ("问题地图.pdf", PDF, "application/pdf")),
            ("photos", ("现场.pdf", PDF, "application/pdf")),
        ],
    )
    assert response.status_code == 400
    error = re.search(r'<small class="field-error" id="error-attach">(.*?)</small>', response.text, re.S)
    assert error and "现场.pdf" in error[1] and "图片" in error[1]
    assert snapshot(app) == before


def _field_error(page: str, field: str) -> str:
    found = re.search(rf'<small class="field-error" id="error-{re.escape(field)}">(.*?)</small>', page, re.S)
    return found[1] if found else ""


def test_mark_done_tells_every_problem_at_once_the_forms_and_the_rules(
    web, app: App, project_id: int
) -> None:  # type: ignore[no-untyped-def]
    """A note too long, a PDF as a site photo, a required file missing and a figure
    left out: one answer names all four, each next to its field (before, the form's
    own problems came first and the rule's only on the next try); nothing stored."""
    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    planner = sign_in(web, "wangrb")
    before = snapshot(app)
    response = post_form(
        planner,
        _url(project_id, "done"),
        _url(project_id, "done"),
        {"evidence.observation_days": "4", "note": "很长" * 2600},
        files=[("photos", ("现场.pdf", PDF, "application/pdf"))],
    )
    assert response.status_code == 400
    assert "5000" in _field_error(response.text, "note")
    assert "图片" in _field_error(response.text, "attach")
    assert _field_error(response.text, "attach.problem_map")
    assert _field_error(response.text, "evidence.households_interviewed")
    assert snapshot(app) == before
    # what was typed stays in the form
    assert 'value="4"' in response.text


def test_mark_done_by_someone_the_rule_refuses_says_so_not_the_forms_problems(
    web, app: App, project_id: int
) -> None:  # type: ignore[no-untyped-def]
    """The form's own problems are told with the rule's only when the person may act:
    someone who may not mark the stage done learns that, not that a note is long."""
    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    office = sign_in(web, "zhaoy")
    before = snapshot(app)
    page = office.get(f"/projects/{project_id}")
    response = office.post(
        _url(project_id, "done"),
        data={"evidence.observation_days": "4", "note": "长" * 5001, "csrf": csrf_of(page.text)},
    )
    assert response.status_code == 403
    assert "5000" not in visible_text(response.text)
    assert snapshot(app) == before


def test_a_comment_too_long_is_named_as_the_form_names_it_next_to_it(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    """Past the browser's length limit: the approval's comment is refused by its label,
    next to the field (it read "「comment」过长", at the top only)."""
    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    planner, office = sign_in(web, "wangrb"), sign_in(web, "zhaoy")
    assert _submit(planner, project_id).status_code == 303
    before = snapshot(app)
    refused = post_form(
        office, _url(project_id, "decide"), _url(project_id, "approve"), {"comment": "好" * 5001}
    )
    assert refused.status_code == 400
    assert "「意见」过长" in _field_error(refused.text, "comment")
    assert "comment" not in visible_text(refused.text)
    refused = post_form(
        office, _url(project_id, "decide"), _url(project_id, "return"), {"reason": "改" * 5001}
    )
    assert "「退回原因" in _field_error(refused.text, "reason")
    assert snapshot(app) == before


def test_an_extension_card_says_where_like_the_other_cards(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    """The street office's card for an extension request names the street and the
    community under the project, like an approval's card (it read "· 需求调研" with no
    place), and its reason shows its first lines only (the decide page has it all)."""
    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    planner, office = sign_in(web, "wangrb"), sign_in(web, "zhaoy")
    assert _ask_for_time(planner, project_id).status_code == 303
    page = office.get("/").text
    card = page.split("<h2>延期申请", 1)[1].split("</article>", 1)[0]
    header = card.split("<header>", 1)[1].split("</header>", 1)[0]
    assert "太阳宫街道 · 太阳宫北社区" in visible_text(header) and "· 需求调研" not in visible_text(header)
    assert '<span class="stage-name">需求调研</span>' in card
    assert '<p class="clamp">' in card and "居民外出" in card


def test_extension_days_below_one_are_told_by_the_range_and_full_width_days_are_read(
    web, app: App, project_id: int
) -> None:  # type: ignore[no-untyped-def]
    """ "-3" is a whole number: the answer names the range (1–250), not "give a whole
    number"; "５" typed full-width is 5."""
    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    planner = sign_in(web, "wangrb")
    before = snapshot(app)
    url = _url(project_id, "extension")
    refused = post_form(planner, url, url, {"days": "-3", "reason": "居民外出"})
    assert refused.status_code == 400
    assert "须为 1–250 个工作日" in _field_error(refused.text, "days")
    assert snapshot(app) == before
    assert post_form(planner, url, url, {"days": "５", "reason": "居民外出"}).status_code == 303


def test_an_unknown_stage_in_the_address_names_the_template_by_its_name(
    web, app: App, project_id: int
) -> None:  # type: ignore[no-untyped-def]
    planner = sign_in(web, "wangrb")
    page = planner.get(f"/projects/{project_id}/stages/nosuch/done")
    assert page.status_code == 404
    shown = visible_text(page.text)
    assert "中没有阶段「nosuch」" in shown and "accompany-service@" not in shown
