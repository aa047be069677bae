"""Delegation on the web (both databases): a street-office person names a
substitute on their account page (CSRF), sees and ends it; the project's audit log
shows a substitute's decision with both names."""

from __future__ import annotations

from pathlib import Path

import pytest

from accompany.bootstrap import App
from accompany.clock import parse_moment
from accompany.services import commands
from accompany.services.commands import DecideApproval
from accompany.services.delegation import list_delegations
from accompany.web.app import create_web_app

from ..web_support import post_form, sign_in, visible_text, with_passwords
from .test_services import survey_done


@pytest.fixture
def app(people: App) -> App:
    return with_passwords(people, "zhaoy", "wangrb")


@pytest.fixture
def web(app: App):  # type: ignore[no-untyped-def]
    return create_web_app(app)


def test_name_a_substitute_see_it_and_end_it(web, app: App, project_id: int, evidence_file: Path) -> None:  # type: ignore[no-untyped-def]
    c = sign_in(web, "zhaoy")
    page = c.get("/account")
    assert page.status_code == 200 and 'action="/account/delegations"' in page.text
    # without the CSRF token: refused, nothing recorded
    assert (
        c.post(
            "/account/delegations", data={"to": "lij", "from": "2026-03-05", "until": "2026-03-20"}
        ).status_code
        == 403
    )
    assert list_delegations(app) == []
    refused = post_form(
        c, "/account", "/account/delegations", {"to": "guoj", "from": "2026-03-05", "until": "2026-03-20"}
    )
    assert refused.status_code == 400 and "不属于同一个区" in visible_text(refused.text)
    done = post_form(
        c,
        "/account",
        "/account/delegations",
        {"to": "李静", "from": "2026-03-05", "until": "2026-03-20", "reason": "出差"},
    )
    assert done.status_code == 200, visible_text(done.text)[:500]
    text = visible_text(done.text)
    assert "李静" in text and "2026-03-20" in text
    [delegation] = list_delegations(app)
    # the substitute decides; the audit log names both
    app.clock.moment = parse_moment("2026-03-10T09:00")  # type: ignore[attr-defined]
    survey_done(app, project_id, evidence_file)
    commands.decide_approval(
        app, DecideApproval(project_id=project_id, stage="needs-survey", by="lij", decision="approve")
    )
    c = sign_in(web, "zhaoy")  # a week later: a new session
    project_page = visible_text(c.get(f"/projects/{project_id}").text)
    assert "李静（代 赵阳）" in project_page
    # and so does the paged audit log
    assert "李静（代 赵阳）" in visible_text(c.get(f"/projects/{project_id}/events").text)
    ended = post_form(c, "/account", f"/account/delegations/{delegation.id}/end", {})
    assert ended.status_code == 200
    assert list_delegations(app)[0].status == "ended"
    # a planner has no substitute form
    planner = sign_in(web, "wangrb")
    assert 'action="/account/delegations"' not in planner.get("/account").text
