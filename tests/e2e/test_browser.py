"""The web app in a real browser: Debian's Chromium driven by Playwright (its own
browser download cannot work on these machines).

A planner signs in on a phone-sized screen and submits evidence with a photo; the
street office returns it with a reason; the planner sees the reason and resubmits;
the office approves; the district sees the on-time figure move. Every page is saved
as a screenshot, phone and desktop, under test-artifacts/screenshots/.

Without Chromium these tests skip — unless ACCOMPANY_REQUIRE_BROWSER=1 (CI), where
they fail instead."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from accompany.bootstrap import App, Origin, build_app, dispose_engines
from accompany.clock import FixedClock, parse_moment
from accompany.config.settings import EXAMPLE_PEOPLE, Settings
from accompany.demo import minimal_pdf
from accompany.directory import read_directory
from accompany.services import commands

from ..conftest import start_command
from ..web_support import PASSWORD, snapshot, with_passwords

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.zh  # the pages in their default language, Chinese
SHOTS = ROOT / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f"
    "141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101"
    "011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403"
    "050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a1617"
    "18191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a83"
    "8485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7"
    "d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fbd4ffd9"
)


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("ACCOMPANY_REQUIRE_BROWSER") == "1":
            pytest.fail(
                "ACCOMPANY_REQUIRE_BROWSER=1 but chromium is not installed (apt-get install chromium)"
            )
        pytest.skip("chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, app: App):
        import uvicorn

        from accompany.web.app import create_web_app

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_web_app(app), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the web server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[App, LiveServer, dict[str, int]]]:
    """Two projects of 王若冰 in 太阳宫街道 on 2026-04-20: A's needs-survey overdue
    since 04-17, B's due in May; passwords for the four roles; the server."""
    settings = Settings(home=tmp_path / "home", calendar_dir=tmp_path, attachments_dir=tmp_path / "files")
    clock = FixedClock(parse_moment("2026-03-05T09:00"))
    app = build_app(
        settings, database_url=f"sqlite:///{tmp_path / 'web.db'}", clock=clock, origin=Origin("web")
    )
    commands.load_directory(app, read_directory(EXAMPLE_PEOPLE))
    a = commands.start_project(app, start_command(name="太阳宫公园南门广场提升", start=dt.date(2026, 3, 5)))
    clock.moment = parse_moment("2026-03-20T09:00")
    b = commands.start_project(
        app,
        start_command(
            name="芍药居北里老旧小区综合整治", community="芍药居北里社区", start=dt.date(2026, 3, 20)
        ),
    )
    with_passwords(app, "wangrb", "zhaoy", "zhoux", "zhangl")
    clock.moment = parse_moment("2026-04-20T10:00")
    with LiveServer(app) as server:
        yield app, server, {"a": a.project_id or 0, "b": b.project_id or 0}
    dispose_engines()


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _sign_in(browser, server: LiveServer, account: str, viewport: dict[str, int]):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.goto(server.url + "/")
    page.fill("input[name=account]", account)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server.url + "/")
    return page


def _fits(page) -> None:  # type: ignore[no-untyped-def]
    """Nothing wider than the screen: no sideways scrolling on a phone."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"page is {overflow}px wider than the screen"


def test_return_resubmit_approve_and_the_district_sees_it(browser, world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app, server, ids = world
    clock: FixedClock = app.clock  # type: ignore[assignment]
    b = ids["b"]

    district = _sign_in(browser, server, "zhoux", DESKTOP)
    figure_before = district.inner_text("#on-time-rate")
    assert figure_before == "0%"
    _shot(district, "district-my-work-desktop")

    # the planner on site, on a phone
    planner = _sign_in(browser, server, "wangrb", PHONE)
    assert "芍药居北里老旧小区综合整治" in planner.inner_text("main")
    _fits(planner)
    _shot(planner, "planner-my-work-phone")
    planner.click(f"#item-{b}-needs-survey a[role=button]")
    planner.wait_for_url(f"**/projects/{b}/stages/needs-survey/done")
    _fits(planner)
    planner.fill("input[name='evidence.households_interviewed']", "42")
    planner.fill("input[name='evidence.observation_days']", "4")
    (tmp_path / "问题地图.pdf").write_bytes(minimal_pdf("Problem map"))
    (tmp_path / "现场照片.jpg").write_bytes(JPEG)
    planner.set_input_files("input[name='attach.problem_map']", str(tmp_path / "问题地图.pdf"))
    planner.set_input_files("input[name=photos]", str(tmp_path / "现场照片.jpg"))
    planner.fill("textarea[name=note]", "共访谈42户，问题地图已标注18处")
    _shot(planner, "planner-stage-done-form-phone")
    planner.click("form[enctype] button[type=submit]")
    planner.wait_for_url(re.compile(rf"/projects/{b}(#.*)?$"))
    stage = planner.locator("#stage-needs-survey")
    assert "待审批" in stage.inner_text() and "现场照片.jpg" in stage.inner_text()
    # the page opens at the stage just done, below the line saying so (not under it)
    notice, opened = planner.locator(".done-notice").bounding_box(), stage.bounding_box()
    assert notice and opened and opened["y"] >= notice["y"] + notice["height"], (notice, opened)
    # tapped, it lets go and no longer covers the page while scrolling
    position = "e => getComputedStyle(e).position"
    assert planner.eval_on_selector(".done-notice", position) == "sticky"
    planner.click(".done-notice")
    assert planner.eval_on_selector(".done-notice", position) == "static"
    _fits(planner)
    _shot(planner, "planner-project-page-phone")

    # the street office, at a desk, returns it with a reason
    clock.moment += dt.timedelta(hours=2)
    office = _sign_in(browser, server, "zhaoy", DESKTOP)
    assert "芍药居北里老旧小区综合整治" in office.inner_text("main")
    _shot(office, "office-my-work-desktop")
    office.click(f"#item-{b}-needs-survey a[role=button]")
    office.wait_for_url(f"**/projects/{b}/stages/needs-survey/decide")
    assert "42" in office.inner_text("dl.evidence")
    _shot(office, "office-decide-desktop")
    office.fill("textarea[name=reason]", "问题地图缺少无障碍设施标注，请补充")
    office.click("button.secondary[type=submit]")
    office.wait_for_url(re.compile(rf"/projects/{b}(#.*)?$"))

    # the planner sees the reason and submits again
    clock.moment += dt.timedelta(hours=3)
    planner.goto(server.url + "/")
    returned = planner.locator(f"#item-{b}-needs-survey")
    assert "问题地图缺少无障碍设施标注，请补充" in returned.inner_text() and "赵阳" in returned.inner_text()
    _fits(planner)
    _shot(planner, "planner-returned-phone")
    returned.locator("a[role=button]").click()
    planner.wait_for_url("**/stages/needs-survey/done")
    assert "问题地图缺少无障碍设施标注" in planner.inner_text("blockquote.returned")
    assert planner.input_value("input[name='evidence.households_interviewed']") == "42"
    planner.set_input_files("input[name='attach.problem_map']", str(tmp_path / "问题地图.pdf"))
    planner.fill("textarea[name=note]", "已补充无障碍设施标注")
    planner.click("form[enctype] button[type=submit]")
    planner.wait_for_url(re.compile(rf"/projects/{b}(#.*)?$"))

    # the office approves
    clock.moment += dt.timedelta(hours=1)
    office.goto(f"{server.url}/projects/{b}/stages/needs-survey/decide")
    office.fill("textarea[name=comment]", "同意")
    office.click("form[action$='/approve'] button[type=submit]")
    office.wait_for_url(re.compile(rf"/projects/{b}(#.*)?$"))
    assert "已通过" in office.inner_text("#stage-needs-survey")
    _shot(office, "office-project-page-desktop")

    # the district sees the on-time figure move
    district.reload()
    figure_after = district.inner_text("#on-time-rate")
    assert (figure_before, figure_after) == ("0%", "50%")
    _shot(district, "district-my-work-after-desktop")


def test_every_page_on_a_phone_and_a_desk(browser, world) -> None:  # type: ignore[no-untyped-def]
    """Each page renders in Chinese, fits a 390 px phone, and is saved for review."""
    _app, server, ids = world
    a = ids["a"]
    pages = {
        "zhangl": [
            "/",
            "/projects/new",
            "/projects/import",
            f"/projects/{a}",
            f"/projects/{a}/stages/needs-survey/pause",
            "/account",
        ],
        "wangrb": ["/", f"/projects/{a}", f"/projects/{a}/stages/needs-survey/extension"],
        "zhoux": ["/", "/reports"],
        "zhaoy": ["/", "/projects"],
    }
    for viewport, label in ((PHONE, "phone"), (DESKTOP, "desktop")):
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        signin = context.new_page()
        signin.goto(server.url + "/signin")
        _shot(signin, f"signin-{label}")
        context.close()
        for account, urls in pages.items():
            page = _sign_in(browser, server, account, viewport)
            for url in urls:
                page.goto(server.url + url)
                assert page.locator("h1").count() >= 1
                text = page.inner_text("body")
                assert "Traceback" not in text and "我的待办" in text  # Chinese navigation
                if label == "phone":
                    _fits(page)
                slug = url.strip("/").replace("/", "-") or "my-work"
                _shot(page, f"{account}-{slug}-{label}")
            page.context.close()


def test_the_audit_log_reads_on_a_phone_one_entry_a_block(browser, world) -> None:  # type: ignore[no-untyped-def]
    """Six columns squeezed into 390 px broke each word into a letter a line: on a phone
    each entry is a block, every value as wide as the screen under its column's name."""
    _app, server, ids = world
    page = _sign_in(browser, server, "wangrb", PHONE)
    page.goto(f"{server.url}/projects/{ids['a']}/events")
    first = page.locator("table.audit-log tbody tr").first
    for cell in first.locator("td").all():
        box = cell.bounding_box()
        if box is not None and box["height"] > 0:
            assert box["width"] >= PHONE["width"] * 0.75, box
    labels = first.locator("td").evaluate_all(
        "cells => cells.map(c => getComputedStyle(c, '::before').content)"
    )
    assert any("操作人" in label for label in labels), labels
    _fits(page)
    _shot(page, "planner-audit-log-phone")


def test_the_new_project_form_names_every_bad_field_at_once(browser, world) -> None:  # type: ignore[no-untyped-def]
    """A name and a community of spaces pass the browser's ``required``: the one answer
    names both, each next to its field, and keeps what was typed."""
    app, server, _ids = world
    page = _sign_in(browser, server, "zhangl", PHONE)
    page.goto(server.url + "/projects/new")
    before = snapshot(app)
    page.fill("input[name=name]", "   ")
    page.fill("input[name=community]", "   ")
    page.select_option("select[name=planner]", "wangrb")
    page.fill("input[name='deadline.construction-accompany']", "2026-10-30")
    page.click("form[action='/projects/new'] button[type=submit]")
    page.wait_for_load_state()
    assert "有 2 处需要修改" in page.inner_text(".form-error")
    assert page.inner_text("#error-name") == "请填写项目名称"
    assert page.inner_text("#error-community") == "请填写社区"
    assert page.input_value("input[name='deadline.construction-accompany']") == "2026-10-30"
    assert page.input_value("select[name=planner]") == "wangrb"
    _fits(page)
    _shot(page, "zhangl-projects-new-two-problems-phone")
    assert snapshot(app) == before
    page.context.close()


def test_the_street_office_undoes_its_approval_from_the_project_page(browser, world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app, server, ids = world
    b = ids["b"]
    (tmp_path / "问题地图.pdf").write_bytes(minimal_pdf("Problem map"))
    commands.complete_stage(
        app,
        commands.CompleteStage(
            project_id=b,
            stage="needs-survey",
            by="wangrb",
            evidence={"households_interviewed": "42", "observation_days": "4"},
            attachments=[commands.AttachmentInput(key="problem_map", path=str(tmp_path / "问题地图.pdf"))],
        ),
    )
    app.clock.moment += dt.timedelta(minutes=30)  # type: ignore[attr-defined]
    commands.decide_approval(
        app, commands.DecideApproval(project_id=b, stage="needs-survey", by="zhaoy", decision="approve")
    )
    # the planner never sees the button
    planner = _sign_in(browser, server, "wangrb", PHONE)
    planner.goto(f"{server.url}/projects/{b}")
    assert planner.locator("a.undo").count() == 0

    office = _sign_in(browser, server, "zhaoy", PHONE)
    office.goto(f"{server.url}/projects/{b}")
    button = office.locator("#stage-needs-survey a.undo")
    assert button.inner_text().strip() == "撤回我的决定"
    button.click()
    office.wait_for_url(f"**/projects/{b}/stages/needs-survey/undo")
    _fits(office)
    office.fill("textarea[name=reason]", "审错了项目")
    _shot(office, "office-undo-phone")
    office.click("form[action$='/undo'] button[type=submit]")
    office.wait_for_url(re.compile(rf"/projects/{b}(#.*)?$"))
    assert "待审批" in office.inner_text("#stage-needs-survey")
    assert office.locator("a.undo").count() == 0


def test_a_substitute_reads_for_whom_she_decides_and_the_project_page_says_it(  # type: ignore[no-untyped-def]
    browser, world, tmp_path: Path
) -> None:
    """李静 stands in for 赵阳 (代理审批): the decide page says so above the buttons,
    on a phone; once she approves, the stage's decision names both."""
    from accompany.services.delegation import delegate

    app, server, ids = world
    b = ids["b"]
    (tmp_path / "问题地图.pdf").write_bytes(minimal_pdf("Problem map"))
    commands.complete_stage(
        app,
        commands.CompleteStage(
            project_id=b,
            stage="needs-survey",
            by="wangrb",
            evidence={"households_interviewed": "42", "observation_days": "4"},
            attachments=[commands.AttachmentInput(key="problem_map", path=str(tmp_path / "问题地图.pdf"))],
        ),
    )
    delegate(app, "zhaoy", to="lij", starts_on=dt.date(2026, 4, 20), ends_on=dt.date(2026, 4, 30), by="zhaoy")
    with_passwords(app, "lij")
    substitute = _sign_in(browser, server, "lij", PHONE)
    substitute.click(f"a[href='/projects/{b}/stages/needs-survey/decide']")
    substitute.wait_for_url(f"**/projects/{b}/stages/needs-survey/decide")
    told = substitute.locator(".deciding-for")
    assert told.inner_text() == "您正代 赵阳（太阳宫街道办事处）审批此阶段（代理期至 2026-04-30）。"
    said, button = told.bounding_box(), substitute.locator("form[action$='/approve'] button").bounding_box()
    assert said and button and said["y"] + said["height"] <= button["y"], (said, button)
    _fits(substitute)
    _shot(substitute, "substitute-decide-phone")
    substitute.click("form[action$='/approve'] button[type=submit]")
    substitute.wait_for_url(re.compile(rf"/projects/{b}(#.*)?$"))
    decision = substitute.locator("#stage-needs-survey ul.decisions li.approved")
    assert "李静（代 赵阳）" in decision.inner_text()
    # back at his desk, 赵阳 reads who decided in his place
    office = _sign_in(browser, server, "zhaoy", DESKTOP)
    office.goto(f"{server.url}/projects/{b}")
    assert "李静（代 赵阳）" in office.inner_text("#stage-needs-survey ul.decisions")
    substitute.context.close()
    office.context.close()


def test_a_failed_consent_is_sent_back_for_a_new_round_from_the_project_page(browser, world) -> None:  # type: ignore[no-untyped-def]
    from accompany.services import households
    from accompany.services.consent import cast_ballot

    from ..integration.test_consent import HEADER, ROWS, codes, open_consent

    app, server, ids = world
    a = ids["a"]
    households.load_register(app, a, HEADER, ROWS, by="zhangl")
    open_consent(app, a)
    found = codes(app, a)
    for code, choice in zip(found[:3], ("agree", "disagree", "disagree"), strict=True):
        cast_ballot(app, a, code, choice, by="wangrb")
    app.clock.moment += dt.timedelta(minutes=5)  # type: ignore[attr-defined]

    planner = _sign_in(browser, server, "wangrb", PHONE)
    planner.goto(f"{server.url}/projects/{a}")
    box = planner.locator("#consent-failed")
    assert "征询未通过" in box.inner_text() and "修改方案重新征询" in box.inner_text()
    _fits(planner)
    box.locator("form.loop textarea[name=reason]").fill("多数居民反对，修改方案后重新征询")
    _shot(planner, "planner-consent-failed-phone")
    box.locator("form.loop button[type=submit]").click()
    planner.wait_for_url(re.compile(rf"/projects/{a}(#.*)?$"))
    assert planner.locator("#consent-failed").count() == 0
    assert "进行中" in planner.inner_text("#stage-design-proposal")


def test_the_project_page_in_english_fits_a_phone(browser, world) -> None:  # type: ignore[no-untyped-def]
    """English words are longer: the consent ballot's table (Floor area (m²)) and the
    other tables scroll inside their own box, the page itself never sideways."""
    from accompany.services import households
    from accompany.services.consent import cast_ballot
    from accompany.web.security import LANG_COOKIE

    from ..integration.test_consent import HEADER, ROWS, codes, open_consent

    app, server, ids = world
    a = ids["a"]
    households.load_register(app, a, HEADER, ROWS, by="zhangl")
    open_consent(app, a)
    for code, choice in zip(codes(app, a)[:3], ("agree", "agree", "abstain"), strict=True):
        cast_ballot(app, a, code, choice, by="wangrb")
    app.clock.moment += dt.timedelta(minutes=5)  # type: ignore[attr-defined]

    for account in ("wangrb", "zhangl"):
        page = _sign_in(browser, server, account, PHONE)
        page.context.add_cookies([{"name": LANG_COOKIE, "value": "en", "url": server.url}])
        page.goto(f"{server.url}/projects/{a}")
        assert "Floor area (m²)" in page.inner_text("#consent")
        width = page.evaluate("document.scrollingElement.scrollWidth")
        _shot(page, f"{account}-project-en-phone")
        assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"
        page.context.close()


def test_the_most_overdue_items_read_on_a_phone_one_item_a_block(browser, world) -> None:  # type: ignore[no-untyped-def]
    """报表's 逾期最久的事项 squeezed six columns into 390 px: a project's name stood one
    character a line (16 px wide, 283 px tall). On a phone each item is a block, each
    value under its column's name, as the audit log's entries are."""
    _app, server, _ids = world
    page = _sign_in(browser, server, "zhoux", PHONE)
    page.goto(f"{server.url}/reports")
    first = page.locator("table.worst tbody tr").first
    project = first.locator("td").first
    box = project.bounding_box()
    assert box is not None and box["width"] >= PHONE["width"] * 0.75, box
    labels = first.locator("td").evaluate_all(
        "cells => cells.map(c => getComputedStyle(c, '::before').content)"
    )
    assert any("责任规划师" in label for label in labels), labels
    _fits(page)
    # the quarter's list shows its choice whole (2026年第二季度 was cut on a phone)
    fits = "s => s.scrollWidth <= s.clientWidth + 1"
    assert page.eval_on_selector("select[name=quarter]", "s => s.getBoundingClientRect().width") >= 300
    assert page.eval_on_selector("select[name=quarter]", fits)
    _shot(page, "zhoux-reports-most-overdue-phone")
