"""Forms sent as no page of the app sends them (a fuzzing walk-through): a list's value
the list never offered and a handover's note named as another form names it. Each is
one Chinese line next to its field, the right status, and nothing written — through
the ASGI app on both databases."""

from __future__ import annotations

from typing import Any

import pytest

from accompany.bootstrap import App
from accompany.web.app import create_web_app

from ..web_support import client, post_form, sign_in, snapshot, visible_text, with_passwords
from .test_api import bearer
from .test_web_form_problems import NEW_PROJECT, next_to


@pytest.fixture
def app(people: App) -> App:
    return with_passwords(people, "wangrb", "chenm", "zhangl", "zhaoy")


@pytest.fixture
def web(app: App):  # type: ignore[no-untyped-def]
    return create_web_app(app)


# -- 1. a value no list offered ---------------------------------------------------------------


def test_a_value_the_new_project_form_never_offered_is_told_next_to_its_list(web: Any, app: App) -> None:
    """It was 404 with the directory's words and the id sent (人员名录中没有「xyz」,
    没有模板「nope」（已有：accompany-service@1 …）): a page that is not there, for a form."""
    coordinator = sign_in(web, "zhangl")
    before = snapshot(app)
    for field, value, line in (
        ("street", "xyz", "请从列表中选择街道。"),
        ("street", "dongsi", "请从列表中选择街道。"),  # a street of another district
        ("planner", "xyz", "请从列表中选择责任规划师。"),
        ("template", "nope", "请从列表中选择流程模板。"),
        ("template", "accompany-service@99", "请从列表中选择流程模板。"),
    ):
        typed = {**NEW_PROJECT, "community": "我写的社区", field: value}
        refused = post_form(coordinator, "/projects/new", "/projects/new", typed)
        assert refused.status_code == 400, (field, value, visible_text(refused.text)[:300])
        assert next_to(refused.text, field) == line
        shown = visible_text(refused.text)
        assert value not in shown and "人员名录" not in shown and "已有" not in shown, shown
        assert 'value="我写的社区"' in refused.text and 'value="2026-10-30"' in refused.text  # kept
    # told together with the form's own problems, in one answer
    typed = {**NEW_PROJECT, "name": "长" * 301, "planner": "xyz"}
    refused = post_form(coordinator, "/projects/new", "/projects/new", typed)
    assert refused.status_code == 400
    assert next_to(refused.text, "planner") == "请从列表中选择责任规划师。"
    assert "过长" in next_to(refused.text, "name") and "有 2 处需要修改" in visible_text(refused.text)
    # a person who exists but is no planner is still told so by the rules
    refused = post_form(coordinator, "/projects/new", "/projects/new", {**NEW_PROJECT, "planner": "zhangl"})
    assert refused.status_code == 400 and "不是责任规划师" in next_to(refused.text, "planner")
    assert snapshot(app) == before


def test_a_new_planner_or_a_substitute_no_list_offered_is_told_next_to_its_list(
    web: Any, app: App, project_id: int
) -> None:
    coordinator = sign_in(web, "zhangl")
    before = snapshot(app)
    handover = f"/projects/{project_id}/handover"
    typed = {"planner": "xyz", "note": "王若冰调岗", "from_planner": "wangrb"}
    refused = post_form(coordinator, handover, handover, typed)
    assert refused.status_code == 400
    assert next_to(refused.text, "planner") == "请从列表中选择新的责任规划师。"
    assert "xyz" not in visible_text(refused.text) and "王若冰调岗" in refused.text  # the note is kept

    office = sign_in(web, "zhaoy")
    typed = {"to": "xyz", "from": "2026-03-03", "until": "2026-03-05", "reason": "休假"}
    refused = post_form(office, "/account", "/account/delegations", typed)
    assert refused.status_code == 400
    assert next_to(refused.text, "to") == "请从列表中选择代理人。"
    assert 'value="2026-03-05"' in refused.text and 'value="休假"' in refused.text
    assert snapshot(app) == before


def test_the_api_and_the_service_keep_their_not_found(web: Any, app: App, project_id: int) -> None:
    """The id a program sends is its own: still 404, naming it."""
    c = client(web)
    coordinator = bearer(app, "zhangl")
    r = c.post(
        f"/api/v1/projects/{project_id}/handover", headers=coordinator, json={"planner": "xyz", "note": "x"}
    )
    assert r.status_code == 404 and "xyz" in r.json()["error"]["message"]
    body = {
        "name": "新项目",
        "street": "xyz",
        "community": "太阳宫北社区",
        "planner": "wangrb",
        "start": "2026-03-02",
        "stage_deadlines": {"construction-accompany": "2026-10-30"},
    }
    r = c.post("/api/v1/projects", headers=coordinator, json=body)
    assert r.status_code == 404 and "xyz" in r.json()["error"]["message"], r.text
    assert r.json()["error"]["fields"] == ["street"]  # which field, as the planner's has


# -- 2. the handover's note by its name -------------------------------------------------------


def test_the_handover_note_is_named_as_the_form_names_it(web: Any, app: App, project_id: int) -> None:
    """A control character in the note was told as 「原因」含有控制字符."""
    coordinator = sign_in(web, "zhangl")
    before = snapshot(app)
    handover = f"/projects/{project_id}/handover"
    refused = post_form(coordinator, handover, handover, {"planner": "chenm", "note": "交接\x07"})
    assert refused.status_code == 400
    assert next_to(refused.text, "note") == "「交接说明」含有控制字符"
    assert "原因" not in visible_text(refused.text)
    refused = post_form(coordinator, handover, handover, {"planner": "chenm", "note": "  "})
    assert refused.status_code == 400 and next_to(refused.text, "note") == "更换责任规划师需要填写交接说明"
    assert snapshot(app) == before
