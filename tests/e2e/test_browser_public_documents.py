"""Public documents and the 公示 countdown in a real browser (Chromium via Playwright,
phone-sized): the planner marks an evidence file public on the project page (公开);
a resident opens the public page without signing in, sees the file in 公开文件 with
its field, stage, size and date, and the countdown of the notice, and downloads it.
Screenshots under test-artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from accompany.bootstrap import App, Origin, build_app, dispose_engines
from accompany.clock import FixedClock, parse_moment
from accompany.config.settings import EXAMPLE_PEOPLE, Settings
from accompany.db.orm import StageRow
from accompany.directory import read_directory
from accompany.services import commands
from accompany.services.commands import AttachmentInput, CompleteStage
from accompany.services.public import set_published

from ..conftest import start_command
from ..web_support import with_passwords
from .test_browser import PHONE, LiveServer, _fits, _shot, _sign_in, browser  # noqa: F401

pytestmark = pytest.mark.zh


@pytest.fixture
def notice(tmp_path: Path) -> Iterator[tuple[App, LiveServer, int]]:
    settings = Settings(home=tmp_path / "home", calendar_dir=tmp_path, attachments_dir=tmp_path / "files")
    clock = FixedClock(parse_moment("2026-03-05T09:00"))
    app = build_app(
        settings, database_url=f"sqlite:///{tmp_path / 'web.db'}", clock=clock, origin=Origin("web")
    )
    commands.load_directory(app, read_directory(EXAMPLE_PEOPLE))
    project = commands.start_project(app, start_command(start=dt.date(2026, 3, 5))).project_id
    assert project is not None
    evidence = tmp_path / "太阳宫北街问题地图.pdf"
    evidence.write_bytes(b"%PDF-1.4 problem map of the street")
    commands.complete_stage(
        app,
        CompleteStage(
            project_id=project,
            stage="needs-survey",
            by="wangrb",
            evidence={"households_interviewed": "40", "observation_days": "3"},
            attachments=[AttachmentInput(key="problem_map", path=str(evidence))],
        ),
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
        uow.commit()
    with_passwords(app, "wangrb")
    clock.moment = parse_moment("2026-03-08T10:00")  # the notice runs 2026-03-05 to 2026-03-11
    with LiveServer(app) as server:
        yield app, server, project
    dispose_engines()


def test_the_planner_makes_a_file_public_and_a_resident_reads_it_with_the_countdown(browser, notice) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _app, server, project = notice
    planner = _sign_in(browser, server, "wangrb", PHONE)
    planner.goto(f"{server.url}/projects/{project}#stage-needs-survey")
    item = planner.locator("ul.files li").filter(has_text="太阳宫北街问题地图.pdf")
    # one tap asks first (it reaches residents at once): cancelled, nothing is published
    # the button says what it does (设为公开): 「公开」 read as a status, as if it already were
    assert item.locator("form.attachment-public button").inner_text().strip() == "设为公开"
    asked: list[str] = []
    planner.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    item.locator("form.attachment-public button").click()
    assert asked and "太阳宫北街问题地图.pdf" in asked[0] and "公开页" in asked[0], asked
    assert "已公开" not in item.inner_text()
    planner.once("dialog", lambda dialog: dialog.accept())
    item.locator("form.attachment-public button").click()
    planner.wait_for_load_state()
    item = planner.locator("ul.files li").filter(has_text="太阳宫北街问题地图.pdf")
    assert "已公开" in item.inner_text()
    assert item.locator("button[value='0']").inner_text().strip() == "不再公开"
    _fits(planner)
    _shot(planner, "project-attachment-public-phone")
    planner.context.close()

    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    resident = context.new_page()
    resident.goto(f"{server.url}/public/projects/{project}")
    documents = resident.inner_text("#documents")
    assert "公开文件" in documents and "太阳宫北街问题地图.pdf" in documents
    assert "问题地图 · 需求调研" in documents and "2026-03-05" in documents
    assert "公示中，还剩 4 天（至 2026-03-11）" in resident.inner_text("#comments")
    _fits(resident)
    resident.locator("#documents").scroll_into_view_if_needed()
    _shot(resident, "public-documents-phone")
    href = resident.locator("#documents a").get_attribute("href")
    assert href == f"/public/projects/{project}/files/1"
    download = context.request.get(server.url + href)
    assert download.status == 200 and download.body() == b"%PDF-1.4 problem map of the street"
    assert "sandbox" in download.headers["content-security-policy"]
    context.close()
