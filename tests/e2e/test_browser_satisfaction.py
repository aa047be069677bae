"""The satisfaction survey in a real browser (Debian's Chromium, Playwright): a
resident scans the slip's QR code on a 390 px phone — the public page opens with the
household code filled in — scores 改造内容 / 改造过程 / 长效管理, leaves a comment
and sends; the page thanks them and its tally moves; the planner's project page
shows the tally and the comment (escaped); once the planner marks the stage done,
its evidence is what the answers show. Screenshots under test-artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from accompany.bootstrap import App, Origin, build_app, dispose_engines
from accompany.clock import FixedClock, parse_moment
from accompany.config.settings import EXAMPLE_PEOPLE, Settings
from accompany.directory import read_directory
from accompany.services import commands, households
from accompany.services.public import set_published
from accompany.services.satisfaction import survey_tally

from ..conftest import start_command
from ..integration.test_consent import HEADER, codes
from ..integration.test_satisfaction import open_survey
from ..web_support import with_passwords
from .test_browser import PHONE, LiveServer, _fits, _shot, _sign_in, browser  # noqa: F401

pytestmark = pytest.mark.zh
ROWS = [["3", "2", str(500 + i), "70", "1"] for i in range(1, 5)]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[App, LiveServer, int, list[str]]]:
    """One project whose post-evaluation is in progress (a sample of one household is
    enough: respondents_min=1), a register of four homes, its public page published."""
    settings = Settings(home=tmp_path / "home", calendar_dir=tmp_path, attachments_dir=tmp_path / "files")
    clock = FixedClock(parse_moment("2026-03-05T09:00"))
    app = build_app(
        settings, database_url=f"sqlite:///{tmp_path / 'web.db'}", clock=clock, origin=Origin("web")
    )
    commands.load_directory(app, read_directory(EXAMPLE_PEOPLE))
    started = commands.start_project(
        app, start_command(start=dt.date(2026, 3, 5), params={"respondents_min": "1"})
    )
    project_id = started.project_id or 0
    households.load_register(app, project_id, HEADER, ROWS, by="zhangl")
    set_published(app, project_id, by="zhangl")
    open_survey(app, project_id)
    with_passwords(app, "wangrb")
    clock.moment = parse_moment("2026-03-06T10:00")
    with LiveServer(app) as server:
        yield app, server, project_id, codes(app, project_id)
    dispose_engines()


def test_a_resident_answers_on_a_phone_and_the_evidence_follows(browser, world) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    app, server, project_id, found = world
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{server.url}/public/projects/{project_id}?code={found[0]}")
    survey = page.locator("section.survey")
    assert survey.locator("input[name=code]").input_value() == found[0]
    assert "您家对本次改造满意吗" in survey.inner_text()
    _fits(page)
    _shot(page, "public-survey-phone")
    survey.locator("input[name=content][value='5']").check()
    survey.locator("input[name=process][value='4']").check()
    survey.locator("input[name=management][value='3']").check()
    survey.locator("textarea[name=comment]").fill("<script>alert(1)</script>电梯还要加装")
    survey.locator("button[type=submit]").click()
    page.wait_for_selector("p.notice[role=status]")
    assert "您的答卷已计入" in page.inner_text("p.notice[role=status]")
    # the browser is on the public page (code kept, at the survey), not the form's address:
    # a reload opens the page again, without the 405 "this address takes a form"
    assert page.url.startswith(f"{server.url}/public/projects/{project_id}?code={found[0]}")
    assert page.url.endswith("#survey")
    assert page.reload().status == 200 and survey.locator("input[name=code]").input_value() == found[0]
    tally = page.inner_text("section.satisfaction")
    assert "4户中已有1户作答" in tally and "满意率：100.0%" in tally and "5.00" in tally
    _fits(page)
    _shot(page, "public-survey-answered-phone")
    context.close()
    assert survey_tally(app, project_id).respondents == 1

    planner = _sign_in(browser, server, "wangrb", PHONE)
    planner.goto(f"{server.url}/projects/{project_id}")
    assert "4户中已有1户作答" in planner.inner_text("section.satisfaction")
    planner.click("details.survey-comments summary")
    assert planner.inner_text("details.survey-comments .comment") == "<script>alert(1)</script>电梯还要加装"
    _fits(planner)
    _shot(planner, "wangrb-project-survey-phone")

    commands.complete_stage(
        app, commands.CompleteStage(project_id=project_id, stage="post-evaluation", by="wangrb")
    )
    planner.goto(f"{server.url}/projects/{project_id}")
    evaluation = planner.locator("#stage-post-evaluation")
    text = evaluation.inner_text()
    assert "调查样本数" in text and "满意度（%）" in text and "100" in text
    _shot(planner, "wangrb-project-survey-done-phone")
    planner.context.close()


def test_a_refused_answer_is_brought_into_view_on_a_phone(browser, world) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """A wrong code on the public page: the page came back at its top, the refusal a
    screen below, and the resident saw nothing wrong. The refusal is brought into view."""
    _app, server, project_id, _found = world
    small = {"width": PHONE["width"], "height": 420}  # a small phone: the survey is below the timeline
    context = browser.new_context(viewport=small, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{server.url}/public/projects/{project_id}")
    survey = page.locator("section.survey")
    survey.locator("input[name=code]").fill("ZZZZZZZZ")
    for name, value in (("content", "5"), ("process", "4"), ("management", "3")):
        survey.locator(f"input[name={name}][value='{value}']").check()
    survey.locator("button[type=submit]").click()
    page.wait_for_load_state()
    refusal = page.locator("[role=alert], .field-error").first
    box = refusal.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= small["height"], box
    _shot(page, "public-survey-refused-in-view-phone")
    context.close()
