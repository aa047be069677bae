"""The satisfaction survey on the public page through the ASGI app (SQLite and
PostgreSQL): a resident answers with the code from the QR (pre-filled) or typed, a
second answer replaces the first; no cookie; the form's token and the Origin are
checked; bad scores, an unknown code and a closed survey change nothing; a script in
the comment is shown escaped to the planner; the project page shows the tally and
takes paper answers."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from accompany.bootstrap import App
from accompany.services import commands, households
from accompany.services.public import set_published
from accompany.services.satisfaction import give_answer, survey_tally
from accompany.web.app import create_web_app

from ..web_support import client, post_form, sign_in, snapshot, visible_text, with_passwords
from .test_consent import HEADER, codes
from .test_satisfaction import ROWS, open_survey


@pytest.fixture
def app(people: App) -> App:
    return with_passwords(people, "wangrb", "zhangl", "zhaoy")


@pytest.fixture
def web(app: App):  # type: ignore[no-untyped-def]
    return create_web_app(app)


@pytest.fixture
def survey(app: App, project_id: int) -> list[str]:
    households.load_register(app, project_id, HEADER, ROWS, by="zhangl")
    set_published(app, project_id, by="zhangl")
    open_survey(app, project_id)
    return codes(app, project_id)


def _token(page: str) -> str:
    match = re.search(
        r'action="/public/projects/\d+/satisfaction">\s*<input type="hidden" name="token" value="([^"]+)"',
        page,
    )
    assert match, "no survey form on the page"
    return match.group(1)


def _answer(
    resident,
    project_id: int,
    code: str,
    scores=(4, 4, 4),
    comment: str = "",
    token: str | None = None,
    **headers,
):  # type: ignore[no-untyped-def]
    if token is None:
        token = _token(resident.get(f"/public/projects/{project_id}").text)
    content, process, management = scores
    return resident.post(
        f"/public/projects/{project_id}/satisfaction",
        data={
            "code": code,
            "content": str(content),
            "process": str(process),
            "management": str(management),
            "comment": comment,
            "token": token,
            "lang": "en",
        },
        headers=headers,
    )


def test_a_resident_answers_with_the_code_from_the_qr(
    web, app: App, project_id: int, survey: list[str]
) -> None:  # type: ignore[no-untyped-def]
    resident = client(web)
    page = resident.get(f"/public/projects/{project_id}?code={survey[0]}&lang=en")
    assert page.status_code == 200 and "set-cookie" not in page.headers
    assert f'value="{survey[0]}"' in page.text and page.headers["cache-control"] == "no-store"
    assert "How satisfied is your household" in visible_text(page.text)
    plain = resident.get(f"/public/projects/{project_id}")
    assert plain.headers["cache-control"] == "public, max-age=300" and survey[0] not in plain.text

    given = _answer(resident, project_id, survey[0], (5, 4, 3), token=_token(page.text))
    assert given.status_code == 303 and "set-cookie" not in given.headers
    shown = resident.get(given.headers["location"])
    assert shown.headers["cache-control"] == "no-store"
    assert "Your answer is counted" in visible_text(shown.text)
    again = _answer(resident, project_id, survey[0].lower(), (2, 2, 2))
    assert "replaces your household's earlier one" in visible_text(
        resident.get(again.headers["location"]).text
    )
    view = survey_tally(app, project_id)
    assert (view.respondents, view.satisfied) == (1, 0)  # counted once, the later answer
    text = visible_text(resident.get(f"/public/projects/{project_id}?lang=en").text)
    assert "1 of 32 households answered" in text and "2.00" in text
    for code in survey:
        assert code not in text


def test_bad_input_changes_nothing(web: Any, app: App, project_id: int, survey: list[str]) -> None:
    resident = client(web)
    before = snapshot(app)
    assert _answer(resident, project_id, survey[0], token="forged").status_code == 403
    assert _answer(resident, project_id, survey[0], origin="https://evil.example").status_code == 403
    unknown = _answer(resident, project_id, "ZZZZZZZZ")
    assert unknown.status_code == 400 and "not in this project's register" in visible_text(unknown.text)
    for scores in ((0, 4, 4), (4, 6, 4)):
        bad = _answer(resident, project_id, survey[0], scores)
        assert bad.status_code == 400 and "whole number from 1" in visible_text(bad.text)
    unchosen = _answer(resident, project_id, survey[0], (4, 4, ""))
    assert unchosen.status_code == 400 and "please give long-term management a score" in visible_text(
        unchosen.text
    )
    control = _answer(resident, project_id, survey[0], comment="a\x00b")
    assert control.status_code == 400
    assert snapshot(app) == before


def test_an_expired_form_or_a_mistyped_code_keeps_what_the_resident_typed(
    web: Any, app: App, project_id: int, survey: list[str]
) -> None:
    """A phone tab left open past the form's time, then sent: the three scores and the
    comment came back empty, and the message said to reload. They come back as typed,
    with a fresh form to send again at one tap. A code one letter short (or a home typed
    as 5-1-101) was wiped from the field and told "not in the register"; it stays as
    typed and is told what a code looks like."""
    resident = client(web)
    before = snapshot(app)
    expired = _answer(resident, project_id, survey[0], (4, 3, 5), comment="令牌过期测试", token="expired")
    assert expired.status_code == 403
    shown = visible_text(expired.text)
    assert "your answers are filled in again below" in shown and "令牌过期测试" in expired.text
    for name, score in (("content", 4), ("process", 3), ("management", 5)):
        assert re.search(rf'name="{name}" value="{score}"[^>]*checked', expired.text), name
    retried = _answer(resident, project_id, survey[0], (4, 3, 5), token=_token(expired.text))
    assert retried.status_code == 303
    after = snapshot(app)
    for typed in (survey[1][:-1], "5-1-101"):
        short = _answer(resident, project_id, typed, (4, 4, 4))
        shown = visible_text(short.text)
        assert short.status_code == 400, shown
        assert "is not a valid one: a code has 8 letters and digits" in shown, shown
        assert f'name="code" value="{typed}"' in short.text or f'value="{typed}"' in short.text
    assert snapshot(app) == after != before


def test_a_script_in_the_comment_is_shown_escaped(
    web: Any, app: App, project_id: int, survey: list[str]
) -> None:
    resident = client(web)
    script = "<script>alert('x')</script>"
    assert _answer(resident, project_id, survey[0], comment=script).status_code == 303
    public = resident.get(f"/public/projects/{project_id}").text
    assert "alert(" not in public  # the public page never shows comments
    planner = sign_in(web, "wangrb")
    page = planner.get(f"/projects/{project_id}")
    assert script not in page.text and "&lt;script&gt;alert(" in page.text
    # the audit log: the scores and the channel, not the comment
    assert "改造内容/改造过程/长效管理 4/4/4（公开页面作答）" in visible_text(page.text)
    street_office = sign_in(web, "zhaoy")
    assert "alert(" not in street_office.get(f"/projects/{project_id}").text


def test_the_survey_closes_with_the_stage(web: Any, app: App, project_id: int, survey: list[str]) -> None:
    resident = client(web)
    for code in survey[:25]:  # (the page takes 30 answers a minute from one address)
        assert _answer(resident, project_id, code, (5, 5, 4)).status_code == 303
    for code in survey[25:30]:
        give_answer(app, project_id, code, 5, 5, 4, by="wangrb")
    planner = sign_in(web, "wangrb")
    before = planner.get(f"/projects/{project_id}")  # in the planner's language, Chinese
    text = visible_text(before.text)
    assert "32户中已有30户作答 (93.8%)" in text and "满意率：100.0%" in text and "长效管理" in text
    assert re.search(r'data-dimension="management"><th scope="row">[^<]+</th><td>4.00<', before.text)
    commands.complete_stage(
        app, commands.CompleteStage(project_id=project_id, stage="post-evaluation", by="wangrb")
    )
    page = resident.get(f"/public/projects/{project_id}?lang=en")
    assert "the survey is closed" in visible_text(page.text) and "/satisfaction" not in page.text

    from accompany.web.security import form_secret, public_form_token

    good = public_form_token(form_secret(app.settings), f"survey:{project_id}", time.time())
    snap = snapshot(app)
    closed = _answer(resident, project_id, survey[0], (1, 1, 1), token=good)
    assert closed.status_code == 409 and "is closed" in visible_text(closed.text)
    assert snapshot(app) == snap


def test_the_project_page_takes_paper_answers(web, app: App, project_id: int, survey: list[str]) -> None:  # type: ignore[no-untyped-def]
    planner = sign_in(web, "wangrb")
    url = f"/projects/{project_id}"
    form = {"household": "1-1-101", "content": "5", "process": "4", "management": "4", "comment": "纸质"}
    answer = post_form(planner, url, f"/projects/{project_id}/satisfaction", form)
    assert answer.status_code == 303 and answer.headers["location"].endswith("#satisfaction")
    view = survey_tally(app, project_id)
    assert (view.paper_answers, view.respondents) == (1, 1)
    bad = post_form(planner, url, f"/projects/{project_id}/satisfaction", {**form, "content": "6"})
    assert (
        bad.status_code == 400
        and "改造内容的评分须为1（非常不满意）到5（非常满意）的整数" in visible_text(bad.text)
    )
    street_office = sign_in(web, "zhaoy")
    refused = post_form(street_office, url, f"/projects/{project_id}/satisfaction", form)
    assert refused.status_code == 403
    assert survey_tally(app, project_id).respondents == 1


def test_the_done_form_is_filled_with_what_the_answers_show(
    web, app: App, project_id: int, survey: list[str]
) -> None:  # type: ignore[no-untyped-def]
    planner = sign_in(web, "wangrb")
    form_url = f"/projects/{project_id}/stages/post-evaluation/done"
    empty = planner.get(form_url).text
    assert 'name="evidence.respondents" value=""' in empty and "居民满意度答卷计算" not in empty
    for code in survey[:29]:
        give_answer(app, project_id, code, 4, 4, 4)
    give_answer(app, project_id, survey[29], 1, 2, 3)
    filled = planner.get(form_url).text
    assert 'name="evidence.respondents" value="30"' in filled
    assert 'name="evidence.satisfaction_pct" value="96.7"' in filled and "居民满意度答卷计算" in filled
    wrong = post_form(
        planner, form_url, form_url, {"evidence.respondents": "30", "evidence.satisfaction_pct": "99"}
    )
    assert wrong.status_code == 400 and "由居民答卷计算得出" in visible_text(wrong.text)
    done = post_form(
        planner, form_url, form_url, {"evidence.respondents": "30", "evidence.satisfaction_pct": "96.7"}
    )
    assert done.status_code == 303
    assert survey_tally(app, project_id).open is False


def test_an_answer_sends_the_resident_back_to_the_page_with_the_code(
    web, app: App, project_id: int, survey: list[str]
) -> None:  # type: ignore[no-untyped-def]
    """Post/Redirect/Get: after an answer the browser is on the public page (code and
    language kept, at the survey's section) with the confirmation, so a reload or a
    shared address opens the page, not the form's address."""
    resident = client(web)
    given = _answer(resident, project_id, survey[0].lower(), (5, 5, 4))
    assert given.status_code == 303
    location = given.headers["location"]
    assert location.startswith(f"/public/projects/{project_id}?") and location.endswith("#survey")
    assert f"code={survey[0]}" in location and "lang=en" in location
    page = resident.get(location)
    text = visible_text(page.text)
    assert page.status_code == 200 and f'value="{survey[0]}"' in page.text
    section = text[text.index("How satisfied is your household") :]
    assert "Your answer is counted" in section  # under the survey's heading, where the anchor lands
    assert resident.get(location).status_code == 200  # a reload is the page again
    # a made-up confirmation shows nothing
    forged = visible_text(resident.get(f"/public/projects/{project_id}?sent=whatever&lang=en").text)
    assert "Thank you" not in forged


def test_a_public_form_address_opened_as_a_page_leads_back_to_the_public_page(
    web, app: App, project_id: int, survey: list[str]
) -> None:  # type: ignore[no-untyped-def]
    resident = client(web)
    for form in ("satisfaction", "ballot", "comments", "needs"):
        url = f"/public/projects/{project_id}/{form}"
        opened = resident.get(
            url, headers={"referer": f"http://testserver/public/projects/{project_id}?code={survey[0]}"}
        )
        text = visible_text(opened.text)
        assert opened.status_code == 405 and opened.headers["allow"] == "POST"
        assert "<title>此地址只用于提交表单 · 陪伴式服务</title>" in opened.text
        assert "我的待办" not in text and "登录" not in text and "/signin" not in opened.text
        assert f'href="/public/projects/{project_id}?code={survey[0]}&amp;lang=zh"' in opened.text, form
    english = resident.get(f"/public/projects/{project_id}/satisfaction?code={survey[1]}&lang=en")
    assert f'href="/public/projects/{project_id}?code={survey[1]}&amp;lang=en"' in english.text
    assert "Open the project's page" in visible_text(english.text)
    other_site = resident.get(
        f"/public/projects/{project_id}/satisfaction",
        headers={"referer": f"https://evil.example/?code={survey[0]}"},
    )
    assert f'href="/public/projects/{project_id}?lang=zh"' in other_site.text
    # a signed-in form's address keeps the staff page
    assert "/signin" in resident.get(f"/projects/{project_id}/satisfaction").text


def test_a_paper_answer_names_the_home_the_planner_typed(
    web, app: App, project_id: int, survey: list[str]
) -> None:  # type: ignore[no-untyped-def]
    """A room the register does not hold is the form's bad input (400, as on the public
    page), told as the home she typed — she has no slip to check; a home typed on a
    Chinese keyboard (full-width) is the same home."""
    planner = sign_in(web, "wangrb")
    url = f"/projects/{project_id}"
    form = {"household": "9-9-999", "content": "5", "process": "4", "management": "4"}
    before = snapshot(app)
    unknown = post_form(planner, url, f"/projects/{project_id}/satisfaction", form)
    text = visible_text(unknown.text)
    assert unknown.status_code == 400 and "本项目住户名册中没有 9-9-999 这一户" in text
    assert "住户编码“9-9-999”" not in text and "告知单" not in text
    assert snapshot(app) == before
    wide = post_form(
        planner, url, f"/projects/{project_id}/satisfaction", {**form, "household": "１－１－１０１"}
    )
    assert wide.status_code == 303
    assert survey_tally(app, project_id).paper_answers == 1


def test_a_comment_too_long_is_told_as_a_limit(web, app: App, project_id: int, survey: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Refused, not cut: the English line says the limit, not what is "kept"."""
    resident = client(web)
    refused = _answer(resident, project_id, survey[0], comment="x" * 501)
    text = visible_text(refused.text)
    assert refused.status_code == 400 and "the comment is too long: 501 characters (at most 500)" in text
    assert "kept" not in text
    assert survey_tally(app, project_id).respondents == 0


def test_the_slip_and_the_forms_name_the_code_alike(
    web, app: App, project_id: int, survey: list[str]
) -> None:  # type: ignore[no-untyped-def]
    """The printed slip is the 住户编码条 and holds the 住户编码; the public page's forms
    ask for that, by that name — never an 识别码 or a 告知单 the resident was not given."""
    from accompany.slips import slips_html

    planner = sign_in(web, "wangrb")
    printed = visible_text(planner.get(f"/projects/{project_id}/households/slips").text)
    standalone = visible_text(slips_html(households.slip_sheet(app, project_id), "zh"))
    for sheet in (printed, standalone):
        assert "住户编码条" in sheet and "输入上方的住户编码" in sheet and "识别码" not in sheet
    resident = client(web)
    page = visible_text(resident.get(f"/public/projects/{project_id}").text)
    assert "输入住户编码条上的住户编码" in page
    token = _token(resident.get(f"/public/projects/{project_id}").text)
    refused = resident.post(
        f"/public/projects/{project_id}/satisfaction",
        data={
            "code": "ZZZZZZZZ",
            "content": "4",
            "process": "4",
            "management": "4",
            "token": token,
            "lang": "zh",
        },
    )
    unknown = visible_text(refused.text)
    assert refused.status_code == 400 and "请核对住户编码条后重新输入" in unknown
    for text in (page, unknown):
        assert "识别码" not in text and "告知单" not in text
