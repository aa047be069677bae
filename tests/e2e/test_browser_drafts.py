"""What a person typed survives a sign-in that ran out and a form that expired (a
coordinator's long reason, a planner's note on a phone): the form's page, opened again
in the same tab after signing in — or from the "form expired" page — fills it back in
and says so; once the form is sent and arrives, nothing is filled in again. In real
Chromium (the copy lives in the tab's sessionStorage, app.js). Screenshots under
test-artifacts/screenshots/."""

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

from ..conftest import start_command
from ..web_support import PASSWORD, with_passwords
from .test_browser import PHONE, LiveServer, _shot, _sign_in, browser  # noqa: F401

pytestmark = pytest.mark.zh
REASON = "资金尚未到位，<b>街道</b>预计下月拨付；居民议事会已知悉。"


@pytest.fixture
def office(tmp_path: Path) -> Iterator[tuple[App, LiveServer, int]]:
    settings = Settings(home=tmp_path / "home", calendar_dir=tmp_path, attachments_dir=tmp_path / "files")
    clock = FixedClock(parse_moment("2026-03-05T09:00"))
    app = build_app(
        settings, database_url=f"sqlite:///{tmp_path / 'web.db'}", clock=clock, origin=Origin("web")
    )
    commands.load_directory(app, read_directory(EXAMPLE_PEOPLE))
    project = commands.start_project(app, start_command(start=dt.date(2026, 3, 5))).project_id
    assert project is not None
    with_passwords(app, "zhangl")
    with LiveServer(app) as server:
        yield app, server, project
    dispose_engines()


def _sign_in_here(page, account: str = "zhangl") -> None:  # type: ignore[no-untyped-def]
    page.fill("input[name=account]", account)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_the_typed_reason_survives_a_session_that_ran_out(browser, office) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    app, server, project = office
    page = _sign_in(browser, server, "zhangl", PHONE)
    form = f"{server.url}/projects/{project}/suspend"
    page.goto(form)
    page.fill("textarea[name=reason]", REASON)
    page.context.clear_cookies()  # the session ran out while the reason was typed
    page.click("form[action$='/suspend'] button[type=submit]")
    page.wait_for_url(lambda url: "/signin" in url)
    _sign_in_here(page)
    page.wait_for_url(form)
    assert page.input_value("textarea[name=reason]") == REASON  # as typed, markup and all
    notice = page.inner_text(".draft-restored")
    assert "已填回" in notice, notice
    _shot(page, "draft-restored-after-sign-in")
    page.click("form[action$='/suspend'] button[type=submit]")
    page.wait_for_url(f"{server.url}/projects/{project}")
    assert page.inner_text(".done-notice") == "项目已暂停。"  # the form done says so
    _shot(page, "done-notice-suspended")
    with app.reader() as uow:
        assert uow.projects.get(project).status.value == "suspended"
    # sent and arrived: the copy is gone, the form's page opens empty again
    assert page.evaluate("sessionStorage.getItem('accompany-draft')") is None


def test_the_typed_reason_survives_a_form_that_expired(browser, office) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _app, server, project = office
    page = _sign_in(browser, server, "zhangl", PHONE)
    form = f"{server.url}/projects/{project}/suspend"
    page.goto(form)
    page.fill("textarea[name=reason]", REASON)
    # signed out and in again in another tab: this tab's form belongs to the old session
    other = page.context.new_page()
    other.goto(server.url + "/account")
    other.click("form[action='/signout'] button[type=submit]")
    other.goto(server.url + "/signin")
    _sign_in_here(other)
    other.wait_for_url(server.url + "/")
    other.close()
    page.click("form[action$='/suspend'] button[type=submit]")
    assert "表单已失效" in page.inner_text("h1")
    _shot(page, "draft-form-expired")
    page.click("text=返回该页面")
    page.wait_for_url(form)
    assert page.input_value("textarea[name=reason]") == REASON
    assert page.locator(".draft-restored").count() == 1
    # opened once more without sending: nothing is filled in a second time
    page.goto(form)
    assert page.input_value("textarea[name=reason]") == ""
