"""Forms sent as no page of the app sends them (a fuzzing walk-through): a list's value
the list never offered, a handover's note named as another form names it, text whose
bytes are not UTF-8, and a residents' link with a code that cannot be a household's.
Each is one Chinese line next to its field (or, for text that cannot be read at all,
on the page the form came back to), the right status, and nothing written — through
the ASGI app on both databases."""

from __future__ import annotations

import re
from typing import Any

import pytest

from accompany.bootstrap import App
from accompany.clock import parse_moment
from accompany.services import households
from accompany.services.public import set_published
from accompany.services.queries import show_project
from accompany.web.app import create_web_app

from ..web_support import client, csrf_of, post_form, sign_in, snapshot, visible_text, with_passwords
from .test_api import bearer
from .test_consent import HEADER, ROWS, codes
from .test_web_form_problems import NEW_PROJECT, next_to


@pytest.fixture
def app(people: App) -> App:
    return with_passwords(people, "wangrb", "chenm", "zhangl", "zhaoy")


@pytest.fixture
def web(app: App):  # type: ignore[no-untyped-def]
    return create_web_app(app)


# -- 1. a value no list offered ---------------------------------------------------------------


def test_a_value_the_new_project_form_never_offered_is_told_next_to_its_list(web: Any, app: App) -> None:
    """It was 404 with the directory's words and the id sent (人员名录中没有「xyz」,
    没有模板「nope」（已有：accompany-service@1 …）): a page that is not there, for a form."""
    coordinator = sign_in(web, "zhangl")
    before = snapshot(app)
    for field, value, line in (
        ("street", "xyz", "请从列表中选择街道。"),
        ("street", "dongsi", "请从列表中选择街道。"),  # a street of another district
        ("planner", "xyz", "请从列表中选择责任规划师。"),
        ("template", "nope", "请从列表中选择流程模板。"),
        ("template", "accompany-service@99", "请从列表中选择流程模板。"),
    ):
        typed = {**NEW_PROJECT, "community": "我写的社区", field: value}
        refused = post_form(coordinator, "/projects/new", "/projects/new", typed)
        assert refused.status_code == 400, (field, value, visible_text(refused.text)[:300])
        assert next_to(refused.text, field) == line
        shown = visible_text(refused.text)
        assert value not in shown and "人员名录" not in shown and "已有" not in shown, shown
        assert 'value="我写的社区"' in refused.text and 'value="2026-10-30"' in refused.text  # kept
    # told together with the form's own problems, in one answer
    typed = {**NEW_PROJECT, "name": "长" * 301, "planner": "xyz"}
    refused = post_form(coordinator, "/projects/new", "/projects/new", typed)
    assert refused.status_code == 400
    assert next_to(refused.text, "planner") == "请从列表中选择责任规划师。"
    assert "过长" in next_to(refused.text, "name") and "有 2 处需要修改" in visible_text(refused.text)
    # a person who exists but is no planner is still told so by the rules
    refused = post_form(coordinator, "/projects/new", "/projects/new", {**NEW_PROJECT, "planner": "zhangl"})
    assert refused.status_code == 400 and "不是责任规划师" in next_to(refused.text, "planner")
    assert snapshot(app) == before


def test_a_new_planner_or_a_substitute_no_list_offered_is_told_next_to_its_list(
    web: Any, app: App, project_id: int
) -> None:
    coordinator = sign_in(web, "zhangl")
    before = snapshot(app)
    handover = f"/projects/{project_id}/handover"
    typed = {"planner": "xyz", "note": "王若冰调岗", "from_planner": "wangrb"}
    refused = post_form(coordinator, handover, handover, typed)
    assert refused.status_code == 400
    assert next_to(refused.text, "planner") == "请从列表中选择新的责任规划师。"
    assert "xyz" not in visible_text(refused.text) and "王若冰调岗" in refused.text  # the note is kept

    office = sign_in(web, "zhaoy")
    typed = {"to": "xyz", "from": "2026-03-03", "until": "2026-03-05", "reason": "休假"}
    refused = post_form(office, "/account", "/account/delegations", typed)
    assert refused.status_code == 400
    assert next_to(refused.text, "to") == "请从列表中选择代理人。"
    assert 'value="2026-03-05"' in refused.text and 'value="休假"' in refused.text
    assert snapshot(app) == before


def test_the_api_and_the_service_keep_their_not_found(web: Any, app: App, project_id: int) -> None:
    """The id a program sends is its own: still 404, naming it."""
    c = client(web)
    coordinator = bearer(app, "zhangl")
    r = c.post(
        f"/api/v1/projects/{project_id}/handover", headers=coordinator, json={"planner": "xyz", "note": "x"}
    )
    assert r.status_code == 404 and "xyz" in r.json()["error"]["message"]
    body = {
        "name": "新项目",
        "street": "xyz",
        "community": "太阳宫北社区",
        "planner": "wangrb",
        "start": "2026-03-02",
        "stage_deadlines": {"construction-accompany": "2026-10-30"},
    }
    r = c.post("/api/v1/projects", headers=coordinator, json=body)
    assert r.status_code == 404 and "xyz" in r.json()["error"]["message"], r.text
    assert r.json()["error"]["fields"] == ["street"]  # which field, as the planner's has


# -- 2. the handover's note by its name -------------------------------------------------------


def test_the_handover_note_is_named_as_the_form_names_it(web: Any, app: App, project_id: int) -> None:
    """A control character in the note was told as 「原因」含有控制字符."""
    coordinator = sign_in(web, "zhangl")
    before = snapshot(app)
    handover = f"/projects/{project_id}/handover"
    refused = post_form(coordinator, handover, handover, {"planner": "chenm", "note": "交接\x07"})
    assert refused.status_code == 400
    assert next_to(refused.text, "note") == "「交接说明」含有控制字符"
    assert "原因" not in visible_text(refused.text)
    refused = post_form(coordinator, handover, handover, {"planner": "chenm", "note": "  "})
    assert refused.status_code == 400 and next_to(refused.text, "note") == "更换责任规划师需要填写交接说明"
    assert snapshot(app) == before


# -- 3. text that is not UTF-8 ----------------------------------------------------------------


def test_text_that_is_not_utf8_is_refused_naming_its_field(web: Any, app: App, project_id: int) -> None:
    """It was stored as mojibake (Latin-1, or replacement characters)."""
    coordinator = sign_in(web, "zhangl")
    before = snapshot(app)
    token = csrf_of(coordinator.get("/projects/new").text)
    gbk = "太阳宫中路社区".encode("gbk")
    fields = {**NEW_PROJECT, "csrf": token}
    # a form as a page would send it (urlencoded), the community in GBK
    body = "&".join(f"{k}={v}" for k, v in fields.items() if k != "community").encode()
    body += b"&community=" + "".join(f"%{b:02X}" for b in gbk).encode()
    refused = coordinator.post(
        "/projects/new",
        content=body,
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "referer": "http://testserver/projects/new",
        },
    )
    assert refused.status_code == 400
    shown = visible_text(refused.text)
    assert "「community」包含无法识别的字符（不是 UTF-8 编码）" in shown, shown
    assert 'href="/projects/new"' in refused.text and "data-draft-keep" in refused.text  # back to the form
    # the same bytes unescaped, and in a multipart form
    raw = body.replace(b"".join(f"%{b:02X}".encode() for b in gbk), gbk)
    refused = coordinator.post(
        "/projects/new", content=raw, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert refused.status_code == 400 and "「community」包含无法识别的字符" in visible_text(refused.text)
    multipart = [(k, (None, v.encode())) for k, v in fields.items() if k != "community"]
    refused = coordinator.post("/projects/new", files=[*multipart, ("community", (None, gbk))])
    assert refused.status_code == 400 and "「community」包含无法识别的字符" in visible_text(refused.text)
    assert snapshot(app) == before
    # valid UTF-8 in both ways is taken
    started = coordinator.post(
        "/projects/new", files=[*multipart, ("community", (None, "太阳宫中路社区".encode()))]
    )
    assert started.status_code == 303, visible_text(started.text)[:300]


def test_a_file_is_not_text_and_uploads_keep_working(web: Any, app: App, project_id: int) -> None:
    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    planner = sign_in(web, "wangrb")
    url = f"/projects/{project_id}/stages/needs-survey/done"
    photo = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256))  # no UTF-8
    evidence = {"evidence.households_interviewed": "36", "evidence.observation_days": "4"}
    before = snapshot(app)
    refused = post_form(
        planner,
        url,
        url,
        evidence,
        files=[("attach.problem_map", ("问题地图.jpg", photo, "image/jpeg")), ("note", (None, b"\xd6\xd0"))],
    )
    assert refused.status_code == 400 and "「note」包含无法识别的字符" in visible_text(refused.text)
    assert snapshot(app) == before
    done = post_form(
        planner,
        url,
        url,
        {**evidence, "note": "入户访谈完成"},
        files=[("attach.problem_map", ("问题地图.jpg", photo, "image/jpeg"))],
    )
    assert done.status_code == 303, visible_text(done.text)[:300]
    stage = show_project(app, project_id).stages[0]
    assert [a.filename for a in stage.attachments] == ["问题地图.jpg"]


def test_the_api_and_the_residents_forms_are_read_the_same_way(web: Any, app: App, project_id: int) -> None:
    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    households.load_register(app, project_id, HEADER, ROWS, by="zhangl")
    set_published(app, project_id, by="zhangl")
    planner = bearer(app, "wangrb")
    before = snapshot(app)
    # the API's multipart stage-done: its own error shape, the field named
    r = client(web).post(
        f"/api/v1/projects/{project_id}/stages/needs-survey/done",
        headers=planner,
        files=[
            ("evidence.households_interviewed", (None, b"36")),
            ("evidence.observation_days", (None, b"4")),
            ("attach.problem_map", ("map.pdf", b"%PDF-1.4 \xff\xfe map", "application/pdf")),
            ("note", (None, b"\xd6\xd0")),  # 中 in GBK
        ],
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == "invalid_input" and r.json()["error"]["fields"] == ["note"]
    # a resident's answer: the residents' page (no sign-in, no worklist), back to the project
    page = f"http://testserver/public/projects/{project_id}?lang=zh"
    refused = client(web).post(
        f"/public/projects/{project_id}/needs",
        files=[("code", (None, codes(app, project_id)[0].encode())), ("comment", (None, b"\xd6\xd0"))],
        headers={"referer": page},
    )
    assert refused.status_code == 400 and refused.headers["cache-control"] == "no-store"
    shown = visible_text(refused.text)
    assert "「comment」包含无法识别的字符（不是 UTF-8 编码）" in shown, shown
    assert f'href="/public/projects/{project_id}?lang=zh"' in refused.text
    assert "/signin" not in refused.text and "我的待办" not in shown
    assert snapshot(app) == before


# -- 4. a residents' link with a code that cannot be one --------------------------------------


def _code_fields(page: str) -> list[tuple[str, str]]:
    """(the value, the line next to it) of each household-code field of the page."""
    found = re.findall(
        r'<input name="code" value="([^"]*)"[^>]*>\s*(?:<small class="field-error"[^>]*>([^<]*)</small>)?',
        page,
    )
    assert found, "no household-code field"
    return found


def test_a_link_with_a_malformed_code_shows_it_and_says_what_a_code_looks_like(
    web: Any, app: App, project_id: int
) -> None:
    """The code was dropped without a word and the form came up empty."""
    households.load_register(app, project_id, HEADER, ROWS, by="zhangl")
    set_published(app, project_id, by="zhangl")
    resident = client(web)
    url = f"/public/projects/{project_id}"
    line = "链接中的住户编码无效：住户编码由 8 位字母和数字组成（不含 0、1、I、L、O），见住户编码条。"
    for code in ("WRONG123", "ABC", '"><b>x'):
        page = resident.get(url, params={"code": code})
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        fields = _code_fields(page.text)
        assert {value for value, _ in fields} == {
            code.replace('"', "&#34;").replace(">", "&gt;").replace("<", "&lt;")
        }
        assert {said for _, said in fields} == {line}
        assert "<b>" not in page.text
    # a code of the right shape is not looked up: the same page whether the register
    # holds it or not, the code in the form, nothing said
    real = codes(app, project_id)[0]
    unknown = "QJFQNBX4" if real != "QJFQNBX4" else "QJFQNBX5"
    with_real = resident.get(url, params={"code": real})
    with_unknown = resident.get(url, params={"code": unknown})
    assert _code_fields(with_real.text)[0] == (real, "")
    assert _code_fields(with_unknown.text)[0] == (unknown, "")
    assert with_real.text.replace(real, "CODE") == with_unknown.text.replace(unknown, "CODE")
    english = resident.get(url, params={"code": "WRONG123", "lang": "en"})
    assert "a code has 8 letters and digits (never 0, 1, I, L, O)" in visible_text(english.text)
