"""The needs survey (问需) in a real browser on a 390 px phone: a resident opens the
public page from the slip's QR (code filled in), ticks needs, taps "use my location"
(the browser's WGS-84 position, converted to GCJ-02 by the server), adds a photo and
sends; a second answer replaces the first. The planner's project page shows the
tally and the problem map (an offline SVG); the list of needs is what the answers
show — a typed figure that differs is refused, the computed one accepted. Pages are
saved under test-artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from accompany.bootstrap import App, Origin, build_app, dispose_engines
from accompany.clock import FixedClock, parse_moment
from accompany.config.settings import EXAMPLE_PEOPLE, Settings
from accompany.demo import minimal_pdf
from accompany.directory import read_directory
from accompany.services import commands, households
from accompany.services.needs_tally import needs_tally, problem_points
from accompany.services.public import set_published

from ..conftest import start_command
from ..integration.test_consent import HEADER, ROWS, codes
from ..web_support import with_passwords
from .test_browser import JPEG, PHONE, LiveServer, _fits, _shot, _sign_in, browser  # noqa: F401

pytestmark = pytest.mark.zh

TIANANMEN_WGS84 = {"latitude": 39.9075, "longitude": 116.39723}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[App, LiveServer, int, list[str]]]:
    settings = Settings(home=tmp_path / "home", calendar_dir=tmp_path, attachments_dir=tmp_path / "files")
    clock = FixedClock(parse_moment("2026-03-05T09:00"))
    app = build_app(
        settings, database_url=f"sqlite:///{tmp_path / 'web.db'}", clock=clock, origin=Origin("web")
    )
    commands.load_directory(app, read_directory(EXAMPLE_PEOPLE))
    outcome = commands.start_project(
        app,
        start_command(
            name="芍药居北里老旧小区综合整治", community="芍药居北里社区", start=dt.date(2026, 3, 5)
        ),
    )
    project_id = outcome.project_id or 0
    households.load_register(app, project_id, HEADER, ROWS, by="zhangl")
    set_published(app, project_id, by="zhangl")
    with_passwords(app, "wangrb", "zhaoy")
    clock.moment = parse_moment("2026-03-10T10:00")
    with LiveServer(app) as server:
        yield app, server, project_id, codes(app, project_id)
    dispose_engines()


def test_a_resident_answers_on_a_phone_and_the_list_follows(browser, world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    app, server, project_id, household_codes = world
    context = browser.new_context(
        viewport=PHONE, locale="zh-CN", geolocation=TIANANMEN_WGS84, permissions=["geolocation"]
    )
    resident = context.new_page()
    resident.goto(f"{server.url}/public/projects/{project_id}?code={household_codes[0]}")
    assert resident.input_value("#needs input[name=code]") == household_codes[0]
    resident.check("#needs label:has-text('加装电梯') input")
    resident.check("#needs label:has-text('增设充电桩') input")
    resident.fill("#needs textarea[name=comment]", "希望增设充电桩 <script>alert(1)</script>")
    resident.select_option("select[name='point1.category']", "safety")
    resident.fill("input[name='point1.note']", "楼门口井盖松动")
    locate = resident.locator("button[data-locate='1']")
    assert locate.is_visible()  # the script shows it (hidden without JavaScript)
    locate.click()
    resident.wait_for_function("document.querySelector(\"input[name='point1.lat']\").value !== ''")
    assert resident.input_value("input[name='point1.lat']") == "39.907500"
    assert resident.input_value("input[name='point1.datum']") == "wgs84"
    (tmp_path / "井盖.jpg").write_bytes(JPEG)
    resident.set_input_files("input[name='point1.photo']", str(tmp_path / "井盖.jpg"))
    _fits(resident)
    _shot(resident, "resident-needs-form-phone")
    resident.click("form.needs-form button[type=submit]")
    resident.wait_for_selector("#needs [role=status]")
    assert "您的答卷已计入" in resident.inner_text("#needs [role=status]")
    assert "已答卷 1 户；已标注问题点 1 个" in resident.inner_text("#needs")
    _fits(resident)
    _shot(resident, "resident-needs-done-phone")

    point = problem_points(app, project_id)[0]
    assert point.datum == "gcj02" and abs(point.lat - 39.9089) < 1e-4 and abs(point.lng - 116.4035) < 1e-4
    assert needs_tally(app, project_id).items_chosen == 2

    # a neighbour answers on paper-free manual entry, without the location button
    resident.goto(f"{server.url}/public/projects/{project_id}")
    resident.fill("#needs input[name=code]", household_codes[1])
    resident.check("#needs label:has-text('增设充电桩') input")
    resident.check("#needs label:has-text('绿化提升') input")
    resident.fill("input[name='point1.lat']", "39.9095")
    resident.fill("input[name='point1.lng']", "116.4041")
    resident.select_option("select[name='point1.category']", "traffic")
    resident.click("form.needs-form button[type=submit]")
    resident.wait_for_selector("#needs [role=status]")
    assert needs_tally(app, project_id).items_chosen == 3
    context.close()

    planner = _sign_in(browser, server, "wangrb", PHONE)
    planner.goto(f"{server.url}/projects/{project_id}#needs")
    needs = planner.locator("#needs")
    assert planner.locator("svg.problem-map circle").count() == 2
    assert (
        "被选中的需求条目 3 项" in needs.inner_text()
        and "<script>" not in planner.content().split("<main")[1]
    )
    assert "楼门口井盖松动" in needs.inner_text() and needs.locator("a:has-text('照片')").count() == 1
    _fits(planner)
    needs.screenshot(
        path=str(
            Path(__file__).resolve().parents[2]
            / "test-artifacts"
            / "screenshots"
            / "planner-problem-map-phone.png"
        )
    )
    _shot(planner, "planner-needs-project-page-phone")

    # the survey done and approved; the list of needs is what the answers show
    (tmp_path / "问题地图.pdf").write_bytes(minimal_pdf("Problem map"))
    commands.complete_stage(
        app,
        commands.CompleteStage(
            project_id=project_id,
            stage="needs-survey",
            by="wangrb",
            evidence={"households_interviewed": "40", "observation_days": "3"},
            attachments=[commands.AttachmentInput(key="problem_map", path=str(tmp_path / "问题地图.pdf"))],
        ),
    )
    commands.decide_approval(
        app,
        commands.DecideApproval(project_id=project_id, stage="needs-survey", by="zhaoy", decision="approve"),
    )
    planner.goto(f"{server.url}/projects/{project_id}/stages/needs-list/done")
    planner.fill("input[name='evidence.needs_items']", "12")
    planner.click("form[enctype] button[type=submit]")
    assert "「需求条目数」由居民答卷计算得出（3）" in planner.inner_text("main")
    planner.fill("input[name='evidence.needs_items']", "3")
    planner.click("form[enctype] button[type=submit]")
    planner.wait_for_url(re.compile(rf"/projects/{project_id}(#.*)?$"))
    assert "待审批" in planner.inner_text("#stage-needs-list")
    _shot(planner, "planner-needs-list-done-phone")
