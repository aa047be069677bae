"""A coordinator on a phone moves a project to a template version that adds a stage
whose deadline is set at the start: the page asks for its date, tells a past one next
to the field, checks the plan with a good one, and moves the project — in real
Chromium. Screenshots under test-artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from accompany.bootstrap import App, Origin, build_app, dispose_engines
from accompany.clock import FixedClock, parse_moment
from accompany.config.settings import EXAMPLE_PEOPLE, Settings
from accompany.directory import read_directory
from accompany.services import commands
from accompany.services.queries import show_project

from ..conftest import start_command, write_pocket_park_with_upkeep
from ..web_support import snapshot, with_passwords
from .test_browser import PHONE, LiveServer, _fits, _shot, _sign_in, browser  # noqa: F401

pytestmark = pytest.mark.zh


@pytest.fixture
def pocket(tmp_path: Path) -> Iterator[tuple[App, LiveServer, int]]:
    settings = Settings(
        home=tmp_path / "home",
        calendar_dir=tmp_path,
        attachments_dir=tmp_path / "files",
        templates_dir=write_pocket_park_with_upkeep(tmp_path / "templates"),
    )
    clock = FixedClock(parse_moment("2026-03-05T09:00"))
    app = build_app(
        settings, database_url=f"sqlite:///{tmp_path / 'web.db'}", clock=clock, origin=Origin("web")
    )
    commands.load_directory(app, read_directory(EXAMPLE_PEOPLE))
    project = commands.start_project(
        app,
        start_command(
            template="pocket-park",
            template_version=1,
            start=dt.date(2026, 3, 5),
            stage_deadlines={"build": dt.date(2026, 10, 30)},
        ),
    ).project_id
    assert project is not None
    with_passwords(app, "zhangl")
    with LiveServer(app) as server:
        yield app, server, project
    dispose_engines()


def test_the_date_of_a_new_set_at_start_deadline_is_chosen_on_a_phone(browser, pocket) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    app, server, project = pocket
    page = _sign_in(browser, server, "zhangl", PHONE)
    page.goto(f"{server.url}/projects/{project}")
    page.click(f"a[href='/projects/{project}/migrate']")
    page.wait_for_url(f"{server.url}/projects/{project}/migrate")
    assert "养护移交" in page.inner_text("fieldset")
    assert page.locator("text=将项目迁移到第 2 版").count() == 0  # no move before a date
    before = snapshot(app)
    page.fill("input[name='due.upkeep']", "2026-03-01")
    page.click("button[name=check]")
    page.wait_for_load_state()
    assert page.inner_text("[id='error-due.upkeep']") == "截止日期须晚于今天（2026-03-05）。"
    assert page.input_value("input[name='due.upkeep']") == "2026-03-01"
    assert snapshot(app) == before
    page.fill("input[name='due.upkeep']", "2026-12-15")
    page.click("button[name=check]")
    page.wait_for_load_state()
    added = page.locator("table.migration-plan tr.change-added").inner_text()
    assert "养护移交" in added and "指定：2026-12-15" in added
    assert "—" not in added.split("养护移交")[0]  # an added stage is named once, not "— → 养护移交"
    _fits(page)
    _shot(page, "zhangl-migration-date-checked-phone")
    assert snapshot(app) == before
    page.click("text=将项目迁移到第 2 版")
    page.wait_for_url(f"{server.url}/projects/{project}")
    detail = show_project(app, project)
    assert detail.template == "pocket-park@2"
    assert next(s for s in detail.stages if s.key == "upkeep").timing.due == dt.date(2026, 12, 15)
    page.context.close()
