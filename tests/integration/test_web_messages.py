"""What the web pages say when something is refused, in the reader's language (Chinese
by default, English on request) and in the reader's terms: the file as they named it,
the column as their file heads it, streets and projects by their names — never a
server path, an exception class, an internal key or a command-line instruction. And
an address that only takes a form, opened as a page, leads back to the form's page."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from accompany.bootstrap import App
from accompany.services import households
from accompany.services.public import set_published
from accompany.web.app import create_web_app
from accompany.web.security import LANG_COOKIE, SESSION_COOKIE

from ..web_support import client, csrf_of, post_form, sign_in, visible_text, with_passwords
from .test_consent import HEADER, ROWS, codes

ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(range(128, 256))  # not UTF-8, not a zip
BAD_ROWS = re.compile(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>")
#: English words of the engine's messages that must not show on a Chinese page
ENGLISH = re.compile(r"\b(is not|does not|unknown|the same|is empty|expected|a whole number|fraction)\b")


@pytest.fixture
def app(people: App) -> App:
    return with_passwords(people, "zhangl", "wangrb", "zhaoy")


@pytest.fixture
def web(app: App):  # type: ignore[no-untyped-def]
    return create_web_app(app)


def _import(c, name: str, content: bytes):  # type: ignore[no-untyped-def]
    return post_form(
        c, "/projects/import", "/projects/import", {}, files=[("file", (name, content, "text/csv"))]
    )


def _english(c) -> None:  # type: ignore[no-untyped-def]
    c.cookies.set(LANG_COOKIE, "en")


# -- 1. the import names the file as the person named it ------------------------------------


def test_import_refusals_name_the_uploaded_file_never_the_servers_copy(
    web, app: App, project_id: int
) -> None:  # type: ignore[no-untyped-def]
    coordinator = sign_in(web, "zhangl")
    cases = {
        "空文件.csv": b"",
        "gbk.csv": "项目名称,区\n甲,朝阳区\n".encode("gbk"),
        "程序.csv": ELF,
        "程序.xlsx": ELF,
    }
    for name, content in cases.items():
        response = _import(coordinator, name, content)
        shown = visible_text(response.text)
        assert response.status_code == 400, shown[:300]
        assert name in shown, shown[:500]
        assert "/tmp" not in shown and "upload." not in shown and "accompany-import" not in shown
        assert "BadZipFile" not in shown and "Error" not in shown
        assert "导入文件" in shown
    # the household register shares the reading: the same for its upload
    for name in ("登记册.xlsx", "登记册.csv"):
        response = post_form(
            coordinator,
            f"/projects/{project_id}/households",
            f"/projects/{project_id}/households",
            {},
            files=[("file", (name, ELF, "application/octet-stream"))],
        )
        shown = visible_text(response.text)
        assert response.status_code == 400 and name in shown, shown[:500]
        assert "/tmp" not in shown and "upload." not in shown and "BadZipFile" not in shown


# -- 2. the bad rows in the page's language, named by the file's own headers ------------------

BAD_CSV = (
    "项目名称,区,街道,社区,责任规划师,启动日期,deadline:construction-accompany\n"
    "甲,朝阳区,太阳宫街道,太阳宫北社区,wangrb,2026-03-02,2026-10-30\n"
    "乙,朝阳区,太阳宫街道,太阳宫北社区,wangrb,2026-02-30,2026-10-30\n"
    ",朝阳区,太阳宫街道,太阳宫北社区,wangrb,2026-03-02,2026-10-30\n"
    "丙,东城区,东四街道,东四社区,hel,2026-03-02,2026-10-30\n"
    "丁,朝阳区,太阳宫街道,太阳宫北社区,nobody,2026-03-02,2026-10-30\n"
    "甲,朝阳区,太阳宫街道,太阳宫北社区,wangrb,2026-03-02,2026-10-30\n"
).encode()


def test_import_problems_are_in_the_pages_language_under_the_files_own_headers(web) -> None:  # type: ignore[no-untyped-def]
    coordinator = sign_in(web, "zhangl")
    response = _import(coordinator, "projects.csv", BAD_CSV)
    assert response.status_code == 400
    rows = {int(r): (column, problem) for r, column, problem in BAD_ROWS.findall(response.text)}
    assert set(rows) == {3, 4, 5, 6, 7}, rows
    headers = BAD_CSV.decode().splitlines()[0].split(",")
    for column, problem in rows.values():
        assert column in headers, (column, problem)  # never an internal key (by)
        assert not ENGLISH.search(problem), problem
        assert re.search(r"[\u4e00-\u9fff]", problem), problem
    assert rows[5][0] == "街道" and "东四街道" in rows[5][1]  # out of the coordinator's streets
    assert rows[3][0] == "启动日期" and "2026-02-30" in rows[3][1]
    assert rows[6][0] == "责任规划师" and "nobody" in rows[6][1]
    assert "第 2 行" in rows[7][1]
    _english(coordinator)
    english = _import(coordinator, "projects.csv", BAD_CSV)
    problems = {int(r): p for r, _c, p in BAD_ROWS.findall(english.text)}
    assert "is not a date" in problems[3] and "unknown person" in problems[6]


# -- 3. template parameters: the expected kind in the page's language -------------------------


def _new_project(c, **values: str):  # type: ignore[no-untyped-def]
    form = {
        "name": "新项目",
        "street": "taiyanggong",
        "community": "太阳宫北社区",
        "planner": "wangrb",
        "start": "2026-03-02",
        "deadline.construction-accompany": "2026-10-30",
        **values,
    }
    return post_form(c, "/projects/new", "/projects/new", form)


def test_a_wrong_template_parameter_is_refused_in_one_language(web) -> None:  # type: ignore[no-untyped-def]
    coordinator = sign_in(web, "zhangl")
    whole = visible_text(_new_project(coordinator, **{"param.households_interviewed_min": "abc"}).text)
    # named in words (labels.PARAMETERS), not by the template's key
    assert "最少入户访谈户数：应为整数" in whole and "「abc」" in whole
    assert "households_interviewed_min" not in whole
    ratio = visible_text(_new_project(coordinator, **{"param.consent_ratio_min": "1/0"}).text)
    assert "应为分数（如 2/3）" in ratio and "「1/0」" in ratio
    for shown in (whole, ratio):
        assert "a whole number" not in shown and "a fraction like" not in shown
    _english(coordinator)
    english = visible_text(_new_project(coordinator, **{"param.households_interviewed_min": "abc"}).text)
    assert "parameter minimum households interviewed: expected a whole number" in english


# -- 4. a form's address opened as a page ------------------------------------------------------


def test_a_form_address_opened_as_a_page_answers_in_the_readers_language_with_a_way_back(
    web, project_id: int
) -> None:  # type: ignore[no-untyped-def]
    office = sign_in(web, "zhaoy")
    approve = f"/projects/{project_id}/stages/needs-survey/approve"
    response = office.get(approve)
    shown = visible_text(response.text)
    assert response.status_code == 405 and "Method Not Allowed" not in shown
    assert "此地址只用于提交表单" in shown and "我的待办" in shown  # the app's own layout
    assert f'href="/projects/{project_id}"' in response.text
    signout = office.get("/signout")
    assert signout.status_code == 405 and "此地址只用于提交表单" in visible_text(signout.text)
    _english(office)
    assert "This address takes a form" in visible_text(office.get(approve).text)
    # the API keeps answering in JSON
    api = client(web).get("/api/v1/projects/import")
    assert api.status_code in (401, 405) and api.headers["content-type"].startswith("application/json")


def test_signing_in_again_after_a_form_expired_lands_on_the_forms_page(web, project_id: int) -> None:  # type: ignore[no-untyped-def]
    approve = f"/projects/{project_id}/stages/needs-survey/approve"
    # the session ran out while the form was open: the form is sent without one
    stale = client(web)
    stale.cookies.set(SESSION_COOKIE, "expired-token")
    sent = stale.post(approve, data={"csrf": "x"})
    assert sent.status_code == 303 and sent.headers["location"].startswith("/signin?next=")
    assert "approve" not in sent.headers["location"]
    # a sign-in link that names the form's address still comes back to a page
    c = client(web)
    form = c.get("/signin", params={"next": approve})
    assert f'name="next" value="/projects/{project_id}"' in form.text
    signed = c.post(
        "/signin",
        data={
            "account": "zhaoy",
            "password": "correct-horse-battery",
            "csrf": csrf_of(form.text),
            "next": approve,
        },
    )
    assert signed.status_code == 303 and signed.headers["location"] == f"/projects/{project_id}"
    assert c.get(signed.headers["location"]).status_code == 200
    # signing out by a link: back to the start, not to an English 405
    again = c.get("/signin", params={"next": "/signout"})
    assert again.status_code == 303 and again.headers["location"] == "/"
    # the open-redirect protection is as it was
    for outside in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        page = client(web).get("/signin", params={"next": outside})
        assert 'name="next" value="/"' in page.text


# -- 5. the public page's language link keeps the household's code ----------------------------


def test_the_public_pages_language_link_keeps_the_household_code(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    households.load_register(app, project_id, HEADER, ROWS, by="zhangl")
    set_published(app, project_id, by="zhangl")
    code = codes(app, project_id)[0]
    resident = client(web)
    page = resident.get(f"/public/projects/{project_id}", params={"code": code})
    assert page.status_code == 200
    link = re.search(r'<a href="([^"]*lang=en[^"]*)"', page.text)
    assert link, "no link to the English page"
    target = link.group(1).replace("&amp;", "&")
    assert target == f"?code={code}&lang=en"  # this very address, the code kept
    english = resident.get(f"/public/projects/{project_id}{target}")
    assert english.status_code == 200 and f'value="{code}"' in english.text
    back = re.search(r'<a href="([^"]*lang=zh[^"]*)"', english.text)
    assert back and back.group(1).replace("&amp;", "&") == f"?code={code}&lang=zh"


def test_the_layouts_language_switch_from_a_refused_form_returns_to_a_page(web, project_id: int) -> None:  # type: ignore[no-untyped-def]
    office = sign_in(web, "zhaoy")
    token = csrf_of(office.get(f"/projects/{project_id}").text)
    switched = office.post(
        "/lang",
        data={"lang": "en", "csrf": token, "next": f"/projects/{project_id}/stages/needs-survey/approve"},
    )
    assert switched.status_code == 303 and switched.headers["location"] == f"/projects/{project_id}"
    kept = office.post("/lang", data={"lang": "zh", "csrf": token, "next": "/projects?state=overdue&q=公园"})
    assert unquote(kept.headers["location"]) == "/projects?state=overdue&q=公园"


# -- 7. no ids, keys or command lines in a coordinator's messages ------------------------------


def test_refusals_name_streets_and_projects_by_name_and_give_no_command_lines(
    web, app: App, project_id: int
) -> None:  # type: ignore[no-untyped-def]
    coordinator = sign_in(web, "zhangl")
    # a street or a planner the form's lists never offered: told as such, no id
    # (test_web_tampered_forms; the CLI names the streets there are by name)
    street = visible_text(_new_project(coordinator, street="dongsi").text)
    assert "请从列表中选择街道" in street and "dongsi" not in street
    assert "jiuxianqiao" not in street and "taiyanggong" not in street
    planner = visible_text(_new_project(coordinator, planner="nobody").text)
    assert "请从列表中选择责任规划师" in planner and "nobody" not in planner
    assert "people load" not in planner and "accompany people" not in planner
    same = post_form(
        coordinator,
        f"/projects/{project_id}/handover",
        f"/projects/{project_id}/handover",
        {"planner": "wangrb", "note": "交接"},
    )
    shown = visible_text(same.text)
    assert "王若冰 已经是「太阳宫北街口袋公园更新」的责任规划师" in shown and f"#{project_id}" not in shown
    _english(coordinator)
    unknown = visible_text(coordinator.get(f"/projects/{project_id}/stages/nonexistent/done").text)
    assert "nonexistent" in unknown and "needs-survey" not in unknown and "Needs survey" in unknown
