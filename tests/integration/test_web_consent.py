"""The consent ballot on the public page through the ASGI app (SQLite and
PostgreSQL): a resident casts a ballot with the code from the QR (pre-filled) or
typed, a second one replaces the first; no cookie; the form's token (CSRF) and the
Origin are checked; 30 ballots a minute per address, then 429; an unknown code
counts nothing; the ballot closes with the stage; the signed-in project page shows
the tally and takes paper ballots."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from accompany.bootstrap import App
from accompany.services import commands, households
from accompany.services.consent import consent_tally
from accompany.services.public import set_published
from accompany.web.app import create_web_app

from ..web_support import client, post_form, sign_in, snapshot, visible_text, with_passwords
from .test_consent import HEADER, ROWS, codes, open_consent


@pytest.fixture
def app(people: App) -> App:
    return with_passwords(people, "wangrb", "zhangl", "zhaoy")


@pytest.fixture
def web(app: App):  # type: ignore[no-untyped-def]
    return create_web_app(app)


@pytest.fixture
def ballot(app: App, project_id: int) -> list[str]:
    households.load_register(app, project_id, HEADER, ROWS, by="zhangl")
    set_published(app, project_id, by="zhangl")
    open_consent(app, project_id)
    return codes(app, project_id)


def _token(page: str) -> str:
    match = re.search(r'name="token" value="([^"]+)"', page)
    assert match, "no ballot form on the page"
    return match.group(1)


def _vote(resident, project_id: int, code: str, choice: str, token: str | None = None, **headers):  # type: ignore[no-untyped-def]
    if token is None:
        token = _token(resident.get(f"/public/projects/{project_id}").text)
    return resident.post(
        f"/public/projects/{project_id}/ballot",
        data={"code": code, "choice": choice, "token": token, "lang": "en"},
        headers=headers,
    )


def test_a_resident_votes_with_the_code_from_the_qr(
    web, app: App, project_id: int, ballot: list[str]
) -> None:  # type: ignore[no-untyped-def]
    resident = client(web)
    page = resident.get(f"/public/projects/{project_id}?code={ballot[0]}&lang=en")
    assert page.status_code == 200 and "set-cookie" not in page.headers
    assert f'value="{ballot[0]}"' in page.text and page.headers["cache-control"] == "no-store"
    plain = resident.get(f"/public/projects/{project_id}")
    assert plain.headers["cache-control"] == "public, max-age=300" and ballot[0] not in plain.text

    cast = _vote(resident, project_id, ballot[0], "agree", _token(page.text))
    assert cast.status_code == 303 and "set-cookie" not in cast.headers
    assert cast.headers["location"].endswith("#ballot") and f"code={ballot[0]}" in cast.headers["location"]
    assert "Your ballot (agree) is counted" in visible_text(resident.get(cast.headers["location"]).text)
    again = _vote(resident, project_id, ballot[0].lower(), "disagree")
    assert "replaces your household's earlier one" in visible_text(
        resident.get(again.headers["location"]).text
    )
    view = consent_tally(app, project_id)
    assert (view.participating.households, view.disagreeing.households) == (1, 1)
    text = visible_text(resident.get(f"/public/projects/{project_id}?lang=en").text)
    assert "not passed" in text and "未通过" not in text and "major matter" in text
    for code in ballot:
        assert code not in text
    # the audit log names who acted as people read it (it showed the actor id "resident")
    log = visible_text(sign_in(web, "zhangl").get(f"/projects/{project_id}/events").text)
    assert "居民（公开页面）" in log and " resident " not in log


def test_token_origin_unknown_code_and_closed(web: Any, app: App, project_id: int, ballot: list[str]) -> None:
    resident = client(web)
    before = snapshot(app)
    assert _vote(resident, project_id, ballot[0], "agree", token="forged").status_code == 403
    assert _vote(resident, project_id, ballot[0], "agree", origin="https://evil.example").status_code == 403
    unknown = _vote(resident, project_id, "ZZZZZZZZ", "agree")
    assert unknown.status_code == 400 and "not in this project's register" in visible_text(unknown.text)
    assert snapshot(app) == before

    assert _vote(resident, project_id, ballot[0], "agree", origin="http://testserver").status_code == 303
    for code in ballot[1:]:
        _vote(resident, project_id, code, "agree")
    commands.complete_stage(
        app, commands.CompleteStage(project_id=project_id, stage="resident-consent", by="wangrb")
    )
    page = resident.get(f"/public/projects/{project_id}?lang=en")
    assert "The ballot is closed." in visible_text(page.text) and 'name="token"' not in page.text
    assert "passed" in visible_text(page.text) and "not passed" not in visible_text(page.text)
    token = re.search(r"[0-9a-f]{40}", page.text)
    closed = _vote(resident, project_id, ballot[0], "disagree", token=token.group(0) if token else "x")
    assert closed.status_code in (403, 409)

    from accompany.web.security import form_secret, public_form_token

    good = public_form_token(form_secret(app.settings), f"ballot:{project_id}", time.time())
    closed = _vote(resident, project_id, ballot[0], "disagree", token=good)
    assert closed.status_code == 409 and "is closed" in visible_text(closed.text)


def test_thirty_ballots_a_minute_per_address_then_429(
    web, app: App, project_id: int, ballot: list[str]
) -> None:  # type: ignore[no-untyped-def]
    resident = client(web)
    token = _token(resident.get(f"/public/projects/{project_id}").text)
    answers = [_vote(resident, project_id, ballot[0], "agree", token).status_code for _ in range(30)]
    assert answers == [303] * 30
    refused = _vote(resident, project_id, ballot[0], "agree", token)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "60"
    assert "Too many ballots" in visible_text(refused.text)


def test_the_project_page_shows_the_tally_and_takes_paper_ballots(
    web, app: App, project_id: int, ballot: list[str]
) -> None:  # type: ignore[no-untyped-def]
    planner = sign_in(web, "wangrb")
    url = f"/projects/{project_id}"
    answer = post_form(
        planner, url, f"/projects/{project_id}/consent", {"code": ballot[0], "choice": "agree"}
    )
    assert answer.status_code == 303
    page = planner.get(url)
    assert "consent" in page.text and "通过" in visible_text(page.text)
    assert consent_tally(app, project_id).paper_ballots == 1
    street_office = sign_in(web, "zhaoy")
    refused = post_form(
        street_office, url, f"/projects/{project_id}/consent", {"code": ballot[1], "choice": "agree"}
    )
    assert refused.status_code == 403


def test_a_paper_ballot_for_an_unknown_household_is_the_forms_bad_input(
    web, app: App, project_id: int, ballot: list[str]
) -> None:  # type: ignore[no-untyped-def]
    """400 next to the form, as on the public page — not "page not found"."""
    planner = sign_in(web, "wangrb")
    url = f"/projects/{project_id}"
    before = snapshot(app)
    unknown = post_form(planner, url, f"{url}/consent", {"code": "ZZZZZZZZ", "choice": "agree"})
    assert unknown.status_code == 400 and "不在本项目的住户名册中" in visible_text(unknown.text)
    blank = post_form(planner, url, f"{url}/consent", {"code": "", "choice": "agree"})
    assert blank.status_code == 400 and "请输入住户编码" in visible_text(blank.text)
    assert snapshot(app) == before


def test_a_paper_ballot_sent_after_the_ballot_closed_says_why_it_was_not_recorded(
    web, app: App, project_id: int, ballot: list[str]
) -> None:  # type: ignore[no-untyped-def]
    """From a page opened while the ballot was open: the refusal was shown only inside
    the paper-ballot box, which a closed ballot no longer shows — nothing said."""
    planner = sign_in(web, "wangrb")
    url = f"/projects/{project_id}"
    token = re.search(r'name="csrf" value="([^"]+)"', planner.get(url).text)
    assert token
    for code in ballot:
        _vote(client(web), project_id, code, "agree")
    commands.complete_stage(
        app, commands.CompleteStage(project_id=project_id, stage="resident-consent", by="wangrb")
    )
    before = snapshot(app)
    late = planner.post(f"{url}/consent", data={"code": ballot[0], "choice": "agree", "csrf": token[1]})
    assert late.status_code == 409
    assert re.search(r'<p class="error" role="alert">[^<]+</p>', late.text), visible_text(late.text)[:300]
    assert snapshot(app) == before
