"""问计 in a real browser (Chromium via Playwright, phone-sized): a resident opens the
public page during the 公示, types the household code and an objection (with markup,
shown as typed), sees it listed anonymously; the planner answers it on the project
page; the public page shows the answer. Screenshots under test-artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from accompany.bootstrap import App, Origin, build_app, dispose_engines
from accompany.clock import FixedClock, parse_moment
from accompany.config.settings import EXAMPLE_PEOPLE, Settings
from accompany.db.orm import HouseholdRow, StageRow
from accompany.directory import read_directory
from accompany.services import commands, households
from accompany.services.public import set_published

from ..conftest import start_command
from ..web_support import with_passwords
from .test_browser import PHONE, LiveServer, _fits, _shot, _sign_in, browser  # noqa: F401

pytestmark = pytest.mark.zh
TYPED = "<b>不同意</b>砍掉门口的槐树"


@pytest.fixture
def notice(tmp_path: Path) -> Iterator[tuple[App, LiveServer, int, str]]:
    settings = Settings(home=tmp_path / "home", calendar_dir=tmp_path, attachments_dir=tmp_path / "files")
    clock = FixedClock(parse_moment("2026-03-05T09:00"))
    app = build_app(
        settings, database_url=f"sqlite:///{tmp_path / 'web.db'}", clock=clock, origin=Origin("web")
    )
    commands.load_directory(app, read_directory(EXAMPLE_PEOPLE))
    project = commands.start_project(app, start_command(start=dt.date(2026, 3, 5))).project_id
    assert project is not None
    households.load_register(
        app,
        project,
        ["楼号", "单元", "房号", "建筑面积", "业主人数"],
        [["3", "2", "501", "80", "2"]],
        by="zhangl",
    )
    set_published(app, project, by="zhangl")
    with app.uow() as uow:
        earlier = ("needs-survey", "needs-list", "design-proposal")
        uow.session.execute(
            update(StageRow)
            .where(StageRow.key.in_(earlier))
            .values(state="approved", approved_at=app.now(), waiting_for=None)
        )
        uow.session.execute(
            update(StageRow)
            .where(StageRow.key == "plan-presentation")
            .values(state="in_progress", activated_at=app.now())
        )
        code = uow.session.scalar(select(HouseholdRow.code))
        uow.commit()
    with_passwords(app, "wangrb")
    clock.moment = parse_moment("2026-03-07T10:00")
    with LiveServer(app) as server:
        yield app, server, project, str(code)
    dispose_engines()


def test_a_resident_objects_and_the_planner_answers(browser, notice) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _app, server, project, code = notice
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    resident = context.new_page()
    resident.goto(f"{server.url}/public/projects/{project}")
    resident.fill("form.comment-form input[name=code]", code.lower())
    resident.check("form.comment-form input[value=objection]")
    resident.fill("form.comment-form textarea[name=text]", TYPED)
    resident.click("form.comment-form button[type=submit]")
    body = resident.inner_text("body")
    assert "您的异议已记录" in body and TYPED in body  # shown as typed, not as markup
    assert resident.locator("#comments b").count() == 0
    assert code not in body and "501" not in body
    _fits(resident)
    _shot(resident, "public-comments-phone")
    context.close()

    planner = _sign_in(browser, server, "wangrb", PHONE)
    planner.goto(f"{server.url}/projects/{project}#comments")
    assert "3 号楼 2 单元" in planner.inner_text("#comments")
    # an answer of spaces only (the browser's "required" lets it through) is refused
    # far down the long project page: the refusal is brought into view, not left
    # screens below a page that opened at its top
    planner.fill("#comments article form textarea[name=text]", "   ")
    planner.click("#comments article form button[type=submit]")
    refusal = planner.locator("#comments p.error")
    assert refusal.count() == 1
    box = refusal.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], box
    _shot(planner, "project-comment-refused-in-view-phone")
    planner.fill("#comments article form textarea[name=text]", "槐树保留，入口改到东侧")
    planner.click("#comments article form button[type=submit]")
    assert "槐树保留，入口改到东侧" in planner.inner_text("#comments")
    assert "答复 2026-03-07" in planner.inner_text("#comments")  # a Beijing date
    _fits(planner)
    _shot(planner, "project-comments-phone")
    planner.context.close()

    again = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    again.goto(f"{server.url}/public/projects/{project}")
    text = again.inner_text("#comments")
    assert "槐树保留，入口改到东侧" in text and "已答复 1 条" in text
    again.context.close()
