"""The consent ballot's section of the public page on a 390 px phone (Debian's
Chromium, Playwright): a closed ballot says so under its own heading (above it, the
green line read as part of the section before); the tally's short headers never
break inside a word (户/数, 住户名/册); a consent held on paper (no register, no
ballot) reads as no online ballot, not as a rejected one, and shows no empty table.
Screenshots under test-artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from accompany.db.orm import StageRow
from accompany.services import households
from accompany.services.consent import cast_ballot
from accompany.services.public import set_published

from ..integration.test_consent import HEADER, ROWS, codes, open_consent
from .test_browser import PHONE, _fits, _shot, browser, world  # noqa: F401

pytestmark = pytest.mark.zh

#: the lines a cell's text takes (one rectangle per line box)
LINES = """el => { const r = document.createRange(); r.selectNodeContents(el);
  return new Set(Array.from(r.getClientRects()).map(x => Math.round(x.top))).size; }"""


def _close_consent(app, project_id: int) -> None:  # type: ignore[no-untyped-def]
    with app.uow() as uow:
        uow.session.execute(
            update(StageRow)
            .where(StageRow.project_id == project_id, StageRow.key == "resident-consent")
            .values(state="approved", approved_at=app.now(), waiting_for=None)
        )
        uow.commit()


def test_the_ballot_section_on_a_phone(browser, world) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    app, server, ids = world
    a, b = ids["a"], ids["b"]
    households.load_register(app, a, HEADER, ROWS, by="zhangl")
    for project in (a, b):
        set_published(app, project, by="zhangl")
        open_consent(app, project)
    for code in codes(app, a):
        cast_ballot(app, a, code, "agree", by="wangrb")
    for project in (a, b):
        _close_consent(app, project)
    app.clock.moment += dt.timedelta(minutes=5)  # type: ignore[attr-defined]

    page = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    page.goto(f"{server.url}/public/projects/{a}")
    section = page.locator("section#consent")
    # the closed ballot's line is under the section's heading, not above it
    assert section.locator("h2 + p.notice").inner_text() == "表决已结束。"
    assert page.locator("p.notice:not(section p)").count() == 0
    assert "通过" in section.inner_text() and "未通过" not in section.inner_text()
    for cell in section.locator("thead th, tbody th").all():
        text = cell.inner_text()
        if text:
            assert cell.evaluate(LINES) == 1 or text == "建筑面积（m²）", f"{text!r} breaks in two"
    _fits(page)
    _shot(page, "public-consent-closed-phone")

    page.goto(f"{server.url}/public/projects/{b}")
    section = page.locator("section#consent")
    text = section.inner_text()
    assert "未使用线上表决（征询结果见阶段材料）" in text and "未通过" not in text
    assert "表决已结束" not in text and section.locator("table").count() == 0
    _fits(page)
    _shot(page, "public-consent-not-held-phone")
    page.context.close()
