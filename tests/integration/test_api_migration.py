"""``POST /api/v1/projects/{id}/migrate`` (both databases): the plan of a dry run,
the move, refusals as JSON with the API's statuses, the caller's permissions."""

from __future__ import annotations

import pytest

from accompany.bootstrap import App
from accompany.clock import parse_moment
from accompany.services import accounts, commands
from accompany.services.queries import show_project
from accompany.web.app import create_web_app

from ..conftest import start_command
from ..web_support import client
from .test_services import snapshot as whole_snapshot


def snapshot(app: App) -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    """Every table but the tokens' (a call marks its token used)."""
    return {k: v for k, v in whole_snapshot(app).items() if k != "api_token"}


@pytest.fixture
def web(people: App):  # type: ignore[no-untyped-def]
    return create_web_app(people)


def bearer(app: App, person: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {accounts.create_api_token(app, person, 'test', by='operator').token}"}


def test_dry_run_move_and_refusals(web, people: App) -> None:  # type: ignore[no-untyped-def]
    project_id = commands.start_project(people, start_command(template_version=1)).project_id
    c = client(web)
    url = f"/api/v1/projects/{project_id}/migrate"
    coordinator, planner, elsewhere = (bearer(people, p) for p in ("zhangl", "wangrb", "maf"))
    people.clock.moment = parse_moment("2026-03-03T09:00")  # type: ignore[attr-defined]
    before = snapshot(people)
    r = c.post(url, headers=coordinator, json={"to": "accompany-service@2", "dry_run": True})
    assert r.status_code == 200, r.text
    plan = r.json()
    assert (plan["template_from"], plan["template_to"], plan["events"]) == (
        "accompany-service@1",
        "accompany-service@2",
        [],
    )
    assert plan["stages"][0] == {
        "change": "kept",
        "from": "needs-survey",
        "to": "needs-survey",
        "state": "in_progress",
        "evidence": 0,
        "files": 0,
        "deadline": "kept",
        "due": "2026-04-14",
    }
    assert snapshot(people) == before
    assert c.post(url, headers=planner, json={"to": "accompany-service@2"}).status_code == 403
    assert c.post(url, headers=elsewhere, json={"to": "accompany-service@2"}).status_code == 404
    bad = c.post(url, headers=coordinator, json={"to": "accompany-service@2", "stages": {"nope": None}})
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid_input")
    assert snapshot(people) == before
    r = c.post(url, headers=coordinator, json={"to": "accompany-service@2"})
    assert r.status_code == 200, r.text
    assert r.json()["events"][0]["kind"] == "project.migrated"
    assert show_project(people, project_id).template == "accompany-service@2"
    again = c.post(url, headers=coordinator, json={"to": "accompany-service@2"})
    assert again.status_code == 422
    assert "项目已在 accompany-service@2 上" in again.json()["error"]["message"]
