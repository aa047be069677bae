"""A form done says so on the page it leads to (SQLite and PostgreSQL): the street
office approves or returns, the coordinator suspends — each lands on the project page
with one line confirming it, in the reader's language, shown once (a reload, or the
kept page of the page cache, shows it no more); a refused form and a cookie the app
did not set show nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from accompany.bootstrap import App
from accompany.web.app import create_web_app
from accompany.web.notices import NOTICE_COOKIE, done_key

from ..web_support import post_form, sign_in, visible_text, with_passwords
from .test_services import survey_done


@pytest.fixture
def web(people: App):  # type: ignore[no-untyped-def]
    return create_web_app(with_passwords(people, "wangrb", "zhaoy", "zhangl"))


def test_an_approval_and_a_suspension_are_confirmed_once(
    web, people: App, project_id: int, evidence_file: Path
) -> None:  # type: ignore[no-untyped-def]
    survey_done(people, project_id, evidence_file)
    office = sign_in(web, "zhaoy")
    page = f"/projects/{project_id}"
    assert "已审批通过。" not in visible_text(office.get(page).text)  # kept by the page cache now
    decide = f"/projects/{project_id}/stages/needs-survey/decide"
    answer = post_form(office, decide, f"/projects/{project_id}/stages/needs-survey/approve", {"comment": ""})
    assert answer.status_code == 303
    landed = office.get(answer.headers["location"])
    assert visible_text(landed.text).count("已审批通过。") == 1
    assert "已审批通过。" not in visible_text(office.get(page).text)  # once
    coordinator = sign_in(web, "zhangl")
    form = f"/projects/{project_id}/suspend"
    refused = post_form(coordinator, form, form, {"reason": "   "})
    assert refused.status_code == 400 and "项目已暂停。" not in visible_text(refused.text)
    assert "项目已暂停。" not in visible_text(coordinator.get(page).text)
    answer = post_form(coordinator, form, form, {"reason": "资金未到位"})
    assert answer.status_code == 303
    assert "项目已暂停。" in visible_text(coordinator.get(answer.headers["location"]).text)


def test_a_notice_cookie_shows_only_the_lines_the_app_has(web, project_id: int) -> None:  # type: ignore[no-untyped-def]
    planner = sign_in(web, "wangrb")
    planner.cookies.set(NOTICE_COOKIE, "<script>alert(1)</script>")
    text = planner.get(f"/projects/{project_id}").text
    assert "alert(1)" not in text and "done-notice" not in text


def test_what_each_form_address_did() -> None:
    assert done_key("/projects/3/stages/needs-survey/approve") == "approved"
    assert done_key("/projects/3/stages/needs-survey/resume") == "clock_resumed"
    assert done_key("/projects/3/resume") == "project_resumed"
    assert done_key("/projects/new") == "started"
    assert done_key("/signin") is None and done_key("/lang") is None
    assert done_key("/public/projects/3/satisfaction") is None
