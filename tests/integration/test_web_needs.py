"""The needs survey on the web through the ASGI app (SQLite and PostgreSQL): a
resident answers on the public page with the code, needs ticked, a comment and a
problem point with a photo (typed position, or WGS-84 from "use my location");
bad input is refused next to the form with the database unchanged; the project page
shows the tally and an offline SVG problem map with every text escaped; the planner
records paper answers, the coordinator edits the menu; photos only for those who
may see the project."""

from __future__ import annotations

import re
from typing import Any

import pytest

from accompany.bootstrap import App
from accompany.services import commands, households
from accompany.services.needs import edit_menu, menu_view
from accompany.services.needs_tally import needs_tally
from accompany.services.public import set_published
from accompany.web.app import create_web_app

from ..web_support import client, post_form, sign_in, snapshot, visible_text, with_passwords
from .test_consent import HEADER, ROWS, codes

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def app(people: App) -> App:
    return with_passwords(people, "wangrb", "zhangl", "zhaoy", "maf")


@pytest.fixture
def web(app: App):  # type: ignore[no-untyped-def]
    return create_web_app(app)


@pytest.fixture
def survey(app: App, project_id: int) -> list[str]:
    households.load_register(app, project_id, HEADER, ROWS, by="zhangl")
    set_published(app, project_id, by="zhangl")
    return codes(app, project_id)


def _token(page: str) -> str:
    match = re.search(r'action="/public/projects/\d+/needs".*?name="token" value="([^"]+)"', page, re.S)
    assert match, "no needs form on the page"
    return match.group(1)


def _ids(app: App, project_id: int) -> dict[str, int]:
    edit_menu(app, project_id, by="zhangl")  # the default copied in
    return {i.name: i.id for i in menu_view(app, project_id).items}


def _answer(
    resident, project_id: int, data: dict[str, Any], files: Any = None, token: str | None = None, **headers
):  # type: ignore[no-untyped-def]
    if token is None:
        token = _token(resident.get(f"/public/projects/{project_id}").text)
    return resident.post(
        f"/public/projects/{project_id}/needs",
        data={"token": token, "lang": "en", **data},
        files=files,
        headers=headers,
    )


def test_a_resident_answers_with_a_point_and_a_photo(
    web: Any, app: App, project_id: int, survey: list[str]
) -> None:
    resident = client(web)
    page = resident.get(f"/public/projects/{project_id}?code={survey[0]}&lang=en")
    assert page.status_code == 200 and "set-cookie" not in page.headers
    assert page.headers["cache-control"] == "no-store" and "/static/needs.js" in page.text
    assert "加装电梯" in page.text and "<script>" not in page.text.split("</head>")[1]
    # the position is asked for in the words of a map app, not of its datum (GCJ-02)
    english = visible_text(page.text)
    assert "as a Chinese map app (Amap, Tencent Maps) shows them" in english and "GCJ" not in english
    assert "Needs survey · Needs survey" not in english  # the stage's name says it once
    chinese = visible_text(resident.get(f"/public/projects/{project_id}?code={survey[0]}").text)
    assert "按高德地图、腾讯地图等国内地图应用显示的数值填写" in chinese and "GCJ" not in chinese
    ids = _ids(app, project_id)
    done = _answer(
        resident,
        project_id,
        {
            "code": survey[0],
            "need": [str(ids["加装电梯"]), str(ids["增设充电桩"])],
            "comment": SCRIPT,
            "point1.category": "safety",
            "point1.note": SCRIPT,
            "point1.lat": "39.9075",
            "point1.lng": "116.39723",
            "point1.datum": "wgs84",
        },
        files={"point1.photo": ("坑.png", PNG, "image/png")},
        token=_token(page.text),
    )
    assert done.status_code == 303, visible_text(done.text)
    assert done.headers["location"].endswith("#needs")
    shown = resident.get(done.headers["location"])
    assert "Your answer is counted" in visible_text(shown.text) and SCRIPT not in shown.text
    again = _answer(resident, project_id, {"code": survey[0].lower(), "need": str(ids["绿化提升"])})
    assert "replaces your household's earlier one" in visible_text(
        resident.get(again.headers["location"]).text
    )
    view = needs_tally(app, project_id)
    assert (view.responses, view.items_chosen, view.points) == (1, 1, 0)
    _answer(
        resident,
        project_id,
        {
            "code": survey[1],
            "need": str(ids["加装电梯"]),
            "comment": SCRIPT,
            "point1.category": "damage",
            "point1.note": SCRIPT,
            "point1.lat": "39.9089",
            "point1.lng": "116.4035",
        },
        files={"point1.photo": ("坑.png", PNG, "image/png")},
    )
    public = resident.get(f"/public/projects/{project_id}?lang=en")
    text = visible_text(public.text)
    assert "Households answering: 2; problem points marked: 1." in text
    assert SCRIPT not in public.text and "alert" not in public.text
    for code in survey:
        assert code not in public.text

    planner = sign_in(web, "wangrb")
    project_page = planner.get(f"/projects/{project_id}")
    html = project_page.text
    assert "116.40350 (高德、腾讯等国内地图坐标)" in visible_text(html) and "GCJ" not in visible_text(html)
    assert project_page.status_code == 200 and '<svg class="problem-map"' in html
    assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    svg = html[
        html.index('<svg class="problem-map"') : html.index("</svg>", html.index('<svg class="problem-map"'))
    ]
    assert (
        "&lt;script&gt;" in svg
        and "<script" not in svg
        and "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    )
    photo = re.search(r'href="(/needs/points/\d+/photo)"', html)
    assert photo
    got = planner.get(photo.group(1))
    assert got.status_code == 200 and got.content == PNG and got.headers["content-type"] == "image/png"
    assert client(web).get(photo.group(1)).status_code in (303, 401, 404)  # no session: sign in first
    other_street = sign_in(web, "maf")
    assert other_street.get(photo.group(1)).status_code == 404


def test_bad_answers_are_refused_next_to_the_form(
    web: Any, app: App, project_id: int, survey: list[str]
) -> None:
    resident = client(web)
    ids = _ids(app, project_id)
    good = {"code": survey[0], "need": str(ids["加装电梯"])}
    before = snapshot(app)
    assert _answer(resident, project_id, good, token="forged").status_code == 403
    assert _answer(resident, project_id, good, origin="https://evil.example").status_code == 403
    cases = [
        ({**good, "code": "ZZZZZZZZ"}, None, 400, "not in this project's register"),
        ({"code": survey[0]}, None, 400, "tick at least one need"),
        ({**good, "point1.lat": "31.23", "point1.lng": "121.47"}, None, 400, "far from Beijing"),
        ({**good, "point1.lat": "139.9", "point1.lng": "16.4"}, None, 400, "not in China"),
        ({**good, "point1.lat": "39.9"}, None, 400, "give its position"),
        ({**good, "comment": "x\x1by"}, None, 400, "control characters"),
        # the textarea's own limit and label (it said 'comment' … at most 1000 characters)
        ({**good, "comment": "长" * 1001}, None, 400, "Anything else (optional) is too long: at most 500"),
        (
            {**good, "point1.lat": "39.9", "point1.lng": "116.4"},
            {"point1.photo": ("photo.png", b"MZ not an image at all", "image/png")},
            400,
            "photo.png",
        ),
        (
            {**good, "point1.lat": "39.9", "point1.lng": "116.4"},
            {"point1.photo": ("plan.pdf", b"%PDF-1.4", "application/pdf")},
            400,
            "not a JPEG or PNG",
        ),
    ]
    for data, files, status, message in cases:
        refused = _answer(resident, project_id, data, files=files)
        assert refused.status_code == status, (data, visible_text(refused.text))
        assert message in visible_text(refused.text), (message, visible_text(refused.text))
    assert snapshot(app) == before


def test_the_survey_closes_with_the_stage(
    web: Any, app: App, project_id: int, survey: list[str], evidence_file
) -> None:  # type: ignore[no-untyped-def]
    resident = client(web)
    ids = _ids(app, project_id)
    token = _token(resident.get(f"/public/projects/{project_id}").text)
    commands.complete_stage(
        app,
        commands.CompleteStage(
            project_id=project_id,
            stage="needs-survey",
            by="wangrb",
            evidence={"households_interviewed": "40", "observation_days": "3"},
            attachments=[commands.AttachmentInput(key="problem_map", path=str(evidence_file))],
        ),
    )
    page = resident.get(f"/public/projects/{project_id}?lang=en")
    assert "The needs survey is closed." in visible_text(page.text)
    closed = _answer(resident, project_id, {"code": survey[0], "need": str(ids["加装电梯"])}, token=token)
    assert closed.status_code == 409 and "is closed" in visible_text(closed.text)


def test_paper_answers_and_the_menu_on_the_project_page(
    web: Any, app: App, project_id: int, survey: list[str]
) -> None:
    planner = sign_in(web, "wangrb")
    url = f"/projects/{project_id}"
    ids = _ids(app, project_id)
    answer = post_form(
        planner,
        url,
        f"{url}/needs",
        {"code": "1-1-201", "need": [str(ids["适老化改造"])], "comment": "纸质问卷"},
    )
    assert answer.status_code == 303
    assert needs_tally(app, project_id).paper == 1
    bad = post_form(planner, url, f"{url}/needs", {"code": survey[1]})
    assert bad.status_code == 400 and "请至少从菜单中勾选一项需求" in visible_text(bad.text)
    refused = post_form(planner, url, f"{url}/needs/menu", {"category": "upgrade", "name": "快递柜"})
    assert refused.status_code == 403 and "需求菜单" in visible_text(refused.text)
    # the planner is not offered the menu's controls the rule refuses her
    assert f'action="{url}/needs/menu"' not in planner.get(url).text
    coordinator = sign_in(web, "zhangl")
    assert f'action="{url}/needs/menu"' in coordinator.get(url).text
    long = post_form(coordinator, url, f"{url}/needs/menu", {"category": "upgrade", "name": "长" * 400})
    assert "「新条目」过长" in visible_text(long.text)
    added = post_form(coordinator, url, f"{url}/needs/menu", {"category": "upgrade", "name": SCRIPT})
    assert added.status_code == 303
    retired = post_form(coordinator, url, f"{url}/needs/menu", {"retire": str(ids["适老化改造"])})
    assert retired.status_code == 303
    page = coordinator.get(url).text
    assert SCRIPT not in page and "&lt;script&gt;" in page
    items = {i.name: i for i in menu_view(app, project_id).items}
    assert items["适老化改造"].retired and items[SCRIPT].category == "upgrade"
    street_office = sign_in(web, "zhaoy")
    assert (
        post_form(
            street_office, url, f"{url}/needs", {"code": survey[2], "need": str(ids["绿化提升"])}
        ).status_code
        == 403
    )


def test_the_problem_map_draws_configured_tiles_under_its_points(
    app: App, project_id: int, survey: list[str]
) -> None:
    """With ACCOMPANY_MAP_TILES the map lists the tiles under its box (fetched by the
    browser: the page's CSP allows that server's images, nothing else from it) and
    the provider's credit line; without it (the other test) nothing external."""
    ids = _ids(app, project_id)
    resident = client(create_web_app(app))
    for code, lat, lng in ((survey[0], "39.9075", "116.39723"), (survey[1], "39.9089", "116.4035")):
        done = _answer(
            resident,
            project_id,
            {
                "code": code,
                "need": str(ids["加装电梯"]),
                "point1.category": "safety",
                "point1.note": "井盖松动",
                "point1.lat": lat,
                "point1.lng": lng,
            },
        )
        assert done.status_code == 303, visible_text(done.text)
    app.settings.map_tiles = "https://tiles.example.cn/{z}/{x}/{y}.png?style=7"
    app.settings.map_tiles_attribution = "© 示例地图"
    web = create_web_app(app)
    page = sign_in(web, "wangrb").get(f"/projects/{project_id}")
    svg = page.text[page.text.index('<svg class="problem-map"') :]
    svg = svg[: svg.index("</svg>")]
    tiles = re.findall(r'<image href="https://tiles\.example\.cn/(\d+)/(\d+)/(\d+)\.png\?style=7"', svg)
    assert tiles and len({z for z, _, _ in tiles}) == 1
    # the two points, ~550 m apart, fit at zoom 16 in a 480 × 400 box (1.8 m a pixel; 17 would not)
    assert tiles[0][0] == "16"
    assert "© 示例地图" in visible_text(page.text)
    csp = page.headers["content-security-policy"]
    assert "img-src 'self' data: blob: https://tiles.example.cn;" in csp
    assert "script-src 'self';" in csp  # nothing else opened


def test_a_project_not_started_yet_says_its_survey_opens_with_the_stage(web: Any, app: App) -> None:
    """Before the project starts (将于 … 启动) the survey has not begun: the project page
    says it opens when the stage starts, not that it is over."""
    import datetime as dt

    from accompany.clock import parse_moment

    from ..conftest import start_command

    app.clock.moment = parse_moment("2026-01-10T10:00")  # type: ignore[attr-defined]
    outcome = commands.start_project(app, start_command(start=dt.date(2026, 2, 2)))
    assert outcome.project_id is not None
    page = sign_in(web, "wangrb").get(f"/projects/{outcome.project_id}").text
    needs = visible_text(page.split('<section class="needs"', 1)[1].split("</section>", 1)[0])
    assert "阶段开始后开放调查" in needs and "调查已结束" not in needs


def test_a_paper_answer_names_the_home_the_planner_typed(
    web: Any, app: App, project_id: int, survey: list[str]
) -> None:
    """An unknown home is the form's bad input (400), told as typed — not a code from a
    slip; a full-width home is the same home."""
    planner = sign_in(web, "wangrb")
    url = f"/projects/{project_id}"
    need = str(_ids(app, project_id)["适老化改造"])
    before = snapshot(app)
    unknown = post_form(planner, url, f"{url}/needs", {"code": "9-9-999", "need": need})
    text = visible_text(unknown.text)
    assert unknown.status_code == 400 and "本项目住户名册中没有 9-9-999 这一户" in text
    assert "告知单" not in text
    assert snapshot(app) == before
    wide = post_form(planner, url, f"{url}/needs", {"code": "１－１－２０１", "need": need})
    assert wide.status_code == 303 and needs_tally(app, project_id).paper == 1
