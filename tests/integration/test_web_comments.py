"""问计 through the ASGI app (SQLite and PostgreSQL): a resident leaves a comment or an
objection on the public page with the household code during the 公示 (token, Origin
and the per-address throttle as for the ballot); bad input is refused next to the
form with the right status and nothing stored; the page lists them anonymously and
escaped; the signed-in project page shows building and unit, records paper ones and
takes answers (once; another street's planner gets 404)."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

import pytest

from accompany.bootstrap import App
from accompany.clock import FixedClock
from accompany.models.deadlines import LOCAL_TZ
from accompany.services import households
from accompany.services.comments import list_comments
from accompany.services.public import set_published
from accompany.web.app import create_web_app
from accompany.web.security import form_secret, public_form_token

from ..web_support import client, post_form, sign_in, snapshot, visible_text, with_passwords
from .test_comments import HEADER, ROWS, codes, open_notice

SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
def app(people: App) -> App:
    return with_passwords(people, "wangrb", "zhangl", "zhaoy", "hel")


@pytest.fixture
def web(app: App):  # type: ignore[no-untyped-def]
    return create_web_app(app)


@pytest.fixture
def notice(app: App, project_id: int) -> list[str]:
    households.load_register(app, project_id, HEADER, ROWS, by="zhangl")
    set_published(app, project_id, by="zhangl")
    open_notice(app, project_id)
    return codes(app, project_id)


def _send(
    resident,
    app: App,
    project_id: int,
    code: str,
    text: str,
    kind: str = "comment",
    token: str | None = None,
    **headers,
):  # type: ignore[no-untyped-def]
    if token is None:
        token = public_form_token(form_secret(app.settings), f"comments:{project_id}", time.time())
    return resident.post(
        f"/public/projects/{project_id}/comments",
        data={"code": code, "kind": kind, "text": text, "token": token, "lang": "en"},
        headers=headers,
    )


def test_a_resident_comments_and_the_page_shows_it_anonymously_and_escaped(
    web: Any, app: App, project_id: int, notice: list[str]
) -> None:
    resident = client(web)
    page = resident.get(f"/public/projects/{project_id}?lang=en")
    assert page.status_code == 200 and f'action="/public/projects/{project_id}/comments"' in page.text
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token is not None
    sent = _send(resident, app, project_id, notice[0].lower(), "希望加装座椅", token=token.group(1))
    assert sent.status_code == 303 and "set-cookie" not in sent.headers
    assert sent.headers["location"].endswith("#comments")
    back = resident.get(sent.headers["location"])
    assert "Your comment is recorded" in visible_text(back.text)
    # the page the answer came back to has the household's code in the form again
    # (the slip's QR code carries it), and is never stored by a cache
    assert f'value="{notice[0]}"' in back.text and back.headers["cache-control"] == "no-store"
    objection = _send(resident, app, project_id, notice[1], SCRIPT + " 反对砍树", kind="objection")
    assert objection.status_code == 303
    page = resident.get(f"/public/projects/{project_id}?lang=en")
    assert SCRIPT not in page.text and "&lt;script&gt;" in page.text
    text = visible_text(page.text)
    assert "comments: 1, objections: 1, answered: 0" in text
    assert text.index("反对砍树") < text.index("希望加装座椅")  # newest first
    for code in notice:
        assert code not in page.text
    assert "101" not in text and "102" not in text  # no room, no household


def test_bad_input_is_refused_and_nothing_is_stored(
    web: Any, app: App, clock: FixedClock, project_id: int, notice: list[str]
) -> None:
    resident = client(web)
    before = snapshot(app)
    unknown = _send(resident, app, project_id, "ZZZZZZZZ", "好")
    assert unknown.status_code == 400 and "not in this project's register" in visible_text(unknown.text)
    empty = _send(resident, app, project_id, notice[0], "   ")
    assert empty.status_code == 400 and "is required" in visible_text(empty.text)
    long = _send(resident, app, project_id, notice[0], "字" * 501)
    assert long.status_code == 400 and "at most 500" in visible_text(long.text)
    assert _send(resident, app, project_id, notice[0], "好", token="forged").status_code == 403
    assert _send(resident, app, project_id, notice[0], "好", origin="https://evil.example").status_code == 403
    # the typed text comes back in the form, escaped
    kept = _send(resident, app, project_id, "ZZZZZZZZ", SCRIPT)
    assert SCRIPT not in kept.text and "&lt;script&gt;" in kept.text
    assert snapshot(app) == before

    clock.advance(days=7)  # 2026-03-09: the notice ended on the 8th
    late = _send(resident, app, project_id, notice[0], "晚了")
    assert late.status_code == 409 and "ended on 2026-03-08" in visible_text(late.text)
    assert snapshot(app) == before
    page = resident.get(f"/public/projects/{project_id}?lang=en")
    assert "Comments are taken during the public notice only." in visible_text(page.text)


def test_submissions_are_throttled_per_address(
    web: Any, app: App, project_id: int, notice: list[str]
) -> None:
    resident = client(web)
    statuses = [_send(resident, app, project_id, "ZZZZZZZZ", "好").status_code for _ in range(30)]
    assert statuses == [400] * 30
    refused = _send(resident, app, project_id, notice[0], "好")
    assert refused.status_code == 429 and refused.headers["retry-after"] == "60"


def test_the_project_page_shows_households_records_paper_and_takes_answers(
    web: Any, app: App, project_id: int, notice: list[str]
) -> None:
    resident = client(web)
    _send(resident, app, project_id, notice[2], SCRIPT, kind="objection")
    planner = sign_in(web, "wangrb")
    url = f"/projects/{project_id}"
    page = planner.get(url)
    assert "2 号楼 1 单元" in visible_text(page.text)  # the household's building and unit
    assert SCRIPT not in page.text and "&lt;script&gt;" in page.text
    paper = post_form(
        planner,
        url,
        f"/projects/{project_id}/comments",
        {"household": "１－２－１０２", "kind": "objection", "text": "纸质异议"},  # full-width: the same home
    )
    assert paper.status_code == 303
    items = list_comments(app, project_id).items
    assert [c.channel for c in items] == ["paper", "public"]
    target = items[1].id

    before = snapshot(app)
    empty = post_form(planner, url, f"/projects/{project_id}/comments/{target}/answer", {"text": ""})
    assert empty.status_code == 400
    bad_household = post_form(
        planner,
        url,
        f"/projects/{project_id}/comments",
        {"household": "9-9-9", "kind": "comment", "text": "x"},
    )
    assert bad_household.status_code == 400
    # the home as the planner typed it, not a code from a slip she does not have
    assert "本项目住户名册中没有 9-9-9 这一户" in visible_text(bad_household.text)
    assert "告知单" not in visible_text(bad_household.text)
    other = sign_in(web, "hel")
    # another street's planner: the project does not exist for them
    assert (
        post_form(other, "/", f"/projects/{project_id}/comments/{target}/answer", {"text": "答"}).status_code
        == 404
    )
    street_office = sign_in(web, "zhaoy")
    assert (
        post_form(
            street_office, url, f"/projects/{project_id}/comments/{target}/answer", {"text": "答"}
        ).status_code
        == 403
    )
    assert snapshot(app) == before

    answered = post_form(
        planner, url, f"/projects/{project_id}/comments/{target}/answer", {"text": "保留 <b>大树</b>"}
    )
    assert answered.status_code == 303
    coordinator = sign_in(web, "zhangl")
    again = post_form(coordinator, url, f"/projects/{project_id}/comments/{target}/answer", {"text": "再答"})
    assert again.status_code == 409 and "已经答复过了" in visible_text(again.text)
    amend = post_form(
        coordinator, url, f"/projects/{project_id}/comments/{target}/answer", {"text": "改", "amend": "1"}
    )
    assert amend.status_code == 403
    public = client(web).get(f"/public/projects/{project_id}?lang=en")
    assert "保留 &lt;b&gt;大树&lt;/b&gt;" in public.text and "answered: 1" in visible_text(public.text)
    log = planner.get(url).text
    assert "&lt;script&gt;" in log and SCRIPT not in log
    # the author changes her answer later: both pages date the change
    app.clock.moment += dt.timedelta(hours=2)  # type: ignore[attr-defined]
    changed = post_form(
        planner, url, f"/projects/{project_id}/comments/{target}/answer", {"text": "保留大树", "amend": "1"}
    )
    assert changed.status_code == 303
    day = app.now().astimezone(LOCAL_TZ).date().isoformat()
    assert f"（{day} 修改）" in visible_text(planner.get(url).text)
    assert f"（{day} 修改）" in visible_text(client(web).get(f"/public/projects/{project_id}").text)
    # a refused change keeps its box open, with what was typed and the reason under it
    # (it closed, showing the old answer, the reason above it)
    too_long = post_form(
        planner, url, f"/projects/{project_id}/comments/{target}/answer", {"text": "长" * 1001, "amend": "1"}
    )
    box = re.search(r"<details open>.*?</details>", too_long.text, re.S)
    assert too_long.status_code == 400 and box is not None
    assert "长" * 1001 in box.group(0) and 'class="error"' in box.group(0)


def test_marking_the_stage_done_waits_for_every_objection(
    web: Any, app: App, project_id: int, notice: list[str]
) -> None:
    _send(client(web), app, project_id, notice[0], "反对占用车位", kind="objection")
    planner = sign_in(web, "wangrb")
    form = f"/projects/{project_id}/stages/plan-presentation/done"
    data = {
        "evidence.sessions_held": "2",
        "evidence.attendees": "30",
        "evidence.notice_days": "7",
        "evidence.objections": "无异议",
    }
    before = snapshot(app)
    refused = post_form(planner, form, form, data)
    assert refused.status_code in (409, 422) and "尚有 1 条异议未答复" in visible_text(refused.text)
    assert snapshot(app) == before
    target = list_comments(app, project_id).items[0].id
    url = f"/projects/{project_id}"
    post_form(planner, url, f"/projects/{project_id}/comments/{target}/answer", {"text": "另辟车位"})
    assert post_form(planner, form, form, data).status_code == 303
