"""Undo (撤回) on the web page and through the API (ASGI, both databases): the button
only for whoever gave the decision and only inside the window, CSRF required,
refusals shown on the form or as JSON with the CLI's classes as statuses, nothing
changed by a refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from accompany.bootstrap import App
from accompany.clock import FixedClock, parse_moment
from accompany.services import accounts, commands
from accompany.services.commands import DecideApproval
from accompany.services.queries import show_project
from accompany.web.app import create_web_app

from ..web_support import client, post_form, sign_in, snapshot, visible_text, with_passwords
from .test_services import survey_done


@pytest.fixture
def app(people: App) -> App:
    return with_passwords(people, "wangrb", "zhaoy", "sunh")


@pytest.fixture
def web(app: App):  # type: ignore[no-untyped-def]
    return create_web_app(app)


@pytest.fixture
def approved(app: App, project_id: int, clock: FixedClock, evidence_file: Path) -> int:
    clock.moment = parse_moment("2026-03-20T10:00")
    survey_done(app, project_id, evidence_file)
    clock.moment = parse_moment("2026-03-23T10:00")
    commands.decide_approval(
        app, DecideApproval(project_id=project_id, stage="needs-survey", by="zhaoy", decision="approve")
    )
    return project_id


def test_the_undo_button_and_form(web, app: App, approved: int, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    url = f"/projects/{approved}/stages/needs-survey/undo"
    office = sign_in(web, "zhaoy")
    assert f'href="{url}"' in office.get(f"/projects/{approved}").text
    # not for someone else, not for the planner
    for other in ("sunh", "wangrb"):
        assert f'href="{url}"' not in sign_in(web, other).get(f"/projects/{approved}").text
    # no CSRF token: refused, nothing changes
    before = snapshot(app)
    assert office.post(url, data={"reason": "点错了"}).status_code == 403
    # no reason: shown next to the field
    empty = post_form(office, url, url, {"reason": "  "})
    assert empty.status_code == 400 and 'id="error-reason"' in empty.text
    # someone else posting anyway: 403 with the message, nothing changes
    refused = post_form(sign_in(web, "sunh"), url, url, {"reason": "x"})
    assert refused.status_code == 403
    assert "只有作出该决定的人" in visible_text(refused.text) or "only the person" in refused.text
    assert snapshot(app) == before
    clock.advance(minutes=5)
    done = post_form(office, url, url, {"reason": "点错了<script>"})
    assert done.status_code == 303 and done.headers["location"] == f"/projects/{approved}#stage-needs-survey"
    page = office.get(f"/projects/{approved}?events=all").text
    assert "点错了&lt;script&gt;" in page  # escaped
    assert f'href="{url}"' not in page  # nothing left to undo
    assert show_project(app, approved).stages[0].state == "submitted"


def test_the_button_goes_when_the_window_closes(web, app: App, approved: int, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    url = f"/projects/{approved}/stages/needs-survey/undo"
    office = sign_in(web, "zhaoy")
    clock.advance(minutes=31)
    assert f'href="{url}"' not in office.get(f"/projects/{approved}").text
    before = snapshot(app)
    late = post_form(office, url, url, {"reason": "点错了"})
    assert late.status_code == 409
    assert snapshot(app) == before


def bearer(app: App, person: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {accounts.create_api_token(app, person, 'test', by='operator').token}"}


def test_undo_through_the_api(web, app: App, approved: int, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    c = client(web)
    url = f"/api/v1/projects/{approved}/stages/needs-survey/undo"
    office, other = bearer(app, "zhaoy"), bearer(app, "sunh")
    assert "undo" in c.get(f"/api/v1/projects/{approved}/actions", headers=office).json()["needs-survey"]
    before = snapshot(app)
    missing = c.post(url, headers=office, json={})
    assert missing.status_code == 400
    refused = c.post(url, headers=other, json={"reason": "x"})
    assert refused.status_code == 403
    unknown = c.post(f"/api/v1/projects/{approved}/stages/nope/undo", headers=office, json={"reason": "x"})
    assert unknown.status_code == 404
    assert snapshot(app) == before
    done = c.post(url, headers=office, json={"reason": "点错了"})
    assert done.status_code == 200, done.text
    assert done.json()["events"][0]["kind"] == "stage.decision_undone"
    twice = c.post(url, headers=office, json={"reason": "点错了"})
    assert twice.status_code == 409
    assert twice.json()["error"]["code"]


def test_a_refusal_names_what_happened_since_by_its_label(
    web, app: App, approved: int, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    """After the approval the coordinator paused the next stage's clock: the undo is
    refused on the page and through the API, naming that event as a person reads it
    (计时暂停 / Clock paused), never by its kind in the log (stage.clock_paused)."""
    clock.advance(minutes=2)
    commands.pause_clock(
        app, commands.PauseClock(project_id=approved, stage="needs-list", by="zhangl", reason="冬季停工")
    )
    office, token = sign_in(web, "zhaoy"), bearer(app, "zhaoy")
    before = snapshot(app)
    url = f"/projects/{approved}/stages/needs-survey/undo"
    page = post_form(office, url, url, {"reason": "点错了"})
    assert page.status_code == 409
    text = visible_text(page.text)
    assert "已不是最近发生的操作" in text and "（计时暂停）" in text
    assert "stage.clock_paused" not in page.text
    api = f"/api/v1/projects/{approved}/stages/needs-survey/undo"
    for lang, label in (("zh", "（计时暂停）"), ("en", "(Clock paused)")):
        refused = client(web).post(f"{api}?lang={lang}", headers=token, json={"reason": "点错了"})
        assert refused.status_code == 409
        message = refused.json()["error"]["message"]
        assert label in message and "stage.clock_paused" not in message
    assert snapshot(app) == before
