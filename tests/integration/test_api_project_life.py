"""The project's life through /api/v1 (both databases): suspend, resume, cancel,
hand over, edit — with the person's own permissions, refusals as JSON with the API's
statuses, and the endpoints in the OpenAPI document."""

from __future__ import annotations

import pytest

from accompany.bootstrap import App
from accompany.clock import parse_moment
from accompany.services import accounts
from accompany.services.queries import show_project
from accompany.web.app import create_web_app

from ..web_support import client


@pytest.fixture
def web(people: App):  # type: ignore[no-untyped-def]
    return create_web_app(people)


def bearer(app: App, person: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {accounts.create_api_token(app, person, 'test', by='operator').token}"}


def test_suspend_resume_hand_over_edit_cancel(web, people: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    coordinator = bearer(people, "zhangl")
    c = client(web)
    base = f"/api/v1/projects/{project_id}"
    people.clock.moment = parse_moment("2026-03-10T09:00")  # type: ignore[attr-defined]
    r = c.post(f"{base}/suspend", headers=coordinator, json={"reason": "资金未到位"})
    assert r.status_code == 200, r.text
    assert [e["kind"] for e in r.json()["events"]] == ["project.suspended", "stage.clock_paused"]
    again = c.post(f"{base}/suspend", headers=coordinator, json={"reason": "x"})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "conflict")
    people.clock.moment = parse_moment("2026-03-17T09:00")  # type: ignore[attr-defined]
    r = c.post(f"{base}/resume", headers=coordinator)
    assert r.status_code == 200 and r.json()["events"][0]["kind"] == "project.resumed"
    r = c.post(f"{base}/handover", headers=coordinator, json={"planner": "chenm", "note": "王若冰调岗"})
    assert r.status_code == 200, r.text
    r = c.post(f"{base}/edit", headers=coordinator, json={"name": "太阳宫口袋公园"})
    assert r.status_code == 200, r.text
    detail = show_project(people, project_id)
    assert (detail.planner, detail.name) == ("陈敏 (chenm)", "太阳宫口袋公园")
    r = c.post(f"{base}/cancel", headers=coordinator, json={"reason": "居民反对"})
    assert r.status_code == 200 and r.json()["events"][0]["kind"] == "project.cancelled"
    final = c.post(f"{base}/resume", headers=coordinator)
    assert final.status_code == 409


def test_refusals_are_json_and_change_nothing(web, people: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    c = client(web)
    base = f"/api/v1/projects/{project_id}"
    people.clock.moment = parse_moment("2026-03-10T09:00")  # type: ignore[attr-defined]
    before = show_project(people, project_id, with_events=True)
    planner, other_street, coordinator = (
        bearer(people, "wangrb"),
        bearer(people, "maf"),
        bearer(people, "zhangl"),
    )
    cases = [
        (planner, "suspend", {"reason": "x"}, 403, "not_allowed"),
        (other_street, "suspend", {"reason": "x"}, 404, "not_found"),
        (coordinator, "suspend", {"reason": ""}, 400, "invalid_input"),
        (coordinator, "suspend", {"reason": "a\u0000b"}, 400, "invalid_input"),
        (coordinator, "cancel", {"reason": "长" * 5001}, 400, "invalid_input"),
        (coordinator, "cancel", {}, 400, "invalid_input"),
        (coordinator, "resume", None, 422, "refused_by_rule"),
        (coordinator, "handover", {"planner": "zhaoy", "note": "x"}, None, None),
        (coordinator, "handover", {"planner": "nobody", "note": "x"}, 404, "not_found"),
        (coordinator, "edit", {"colour": "red"}, 400, "invalid_input"),
    ]
    for headers, action, body, status, code in cases:
        r = c.post(f"{base}/{action}", headers=headers, json=body)
        assert r.status_code >= 400, (action, body, r.text)
        if status is not None:
            assert (r.status_code, r.json()["error"]["code"]) == (status, code), (action, body, r.text)
    assert (
        c.post("/api/v1/projects/999/suspend", headers=coordinator, json={"reason": "x"}).status_code == 404
    )
    assert c.post(f"{base}/suspend", json={"reason": "x"}).status_code == 401
    assert show_project(people, project_id, with_events=True) == before


def test_the_openapi_document_lists_them(web) -> None:  # type: ignore[no-untyped-def]
    paths = client(web).get("/api/openapi.json").json()["paths"]
    for action in ("suspend", "resume", "cancel", "handover", "edit"):
        assert "post" in paths[f"/v1/projects/{{project_id}}/{action}"], action


def test_a_substitute_sees_and_approves_the_delegators_project_through_the_api(  # type: ignore[no-untyped-def]
    web, people: App, project_id: int, evidence_file
) -> None:
    import datetime as dt

    from accompany.services.delegation import delegate

    from .test_services import survey_done

    substitute = bearer(people, "lij")  # street office of 酒仙桥, not of 太阳宫
    c = client(web)
    url = f"/api/v1/projects/{project_id}"
    assert c.get(url, headers=substitute).status_code == 404
    delegate(
        people, "zhaoy", to="lij", starts_on=dt.date(2026, 3, 5), ends_on=dt.date(2026, 3, 20), by="zhaoy"
    )
    people.clock.moment = parse_moment("2026-03-10T09:00")  # type: ignore[attr-defined]
    survey_done(people, project_id, evidence_file)
    assert c.get(f"{url}/actions", headers=substitute).json() == {"needs-survey": ["approve", "return"]}
    r = c.post(f"{url}/stages/needs-survey/approve", headers=substitute, json={"comment": "代赵阳审批"})
    assert r.status_code == 200, r.text
    events = c.get(f"{url}?events=true", headers=substitute).json()["events"]
    approved = next(e for e in events if e["kind"] == "stage.approved")
    assert approved["data"]["on_behalf_of"] == "zhaoy" and approved["actor_name"] == "李静（代 赵阳）"
    # after the range: unknown again
    people.clock.moment = parse_moment("2026-03-21T09:00")  # type: ignore[attr-defined]
    assert c.get(url, headers=substitute).status_code == 404
