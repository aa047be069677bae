"""The JSON API /api/v1 (ASGI, both databases): personal tokens, the person's own
permissions, errors as JSON with the CLI's classes as HTTP statuses."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import pytest

from accompany.bootstrap import App
from accompany.clock import parse_moment
from accompany.services import accounts
from accompany.services.queries import show_project
from accompany.web.app import create_web_app
from accompany.web.security import CSRF_HEADER

from ..web_support import client, csrf_of, sign_in, snapshot, with_passwords


@pytest.fixture
def app(people: App) -> App:
    return with_passwords(people, "wangrb", "zhaoy")


@pytest.fixture
def web(app: App):  # type: ignore[no-untyped-def]
    return create_web_app(app)


def bearer(app: App, person: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {accounts.create_api_token(app, person, 'test', by='operator').token}"}


def test_no_token_no_answer(web) -> None:  # type: ignore[no-untyped-def]
    c = client(web)
    for headers in ({}, {"Authorization": "Bearer acc_nonsense"}, {"Authorization": "Basic abc"}):
        response = c.get("/api/v1/work", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"
        assert response.headers["www-authenticate"] == "Bearer"


def test_a_planners_day_through_the_api(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    planner, office = bearer(app, "wangrb"), bearer(app, "zhaoy")
    c = client(web)
    me = c.get("/api/v1/me", headers=planner).json()
    assert me == {
        "id": "wangrb",
        "name": "王若冰",
        "role": "planner",
        "district": "chaoyang",
        "streets": ["taiyanggong"],
    }
    work = c.get("/api/v1/work", headers=planner).json()
    assert [(i["project_id"], i["stage"], i["stage_name"]) for i in work["in_progress"]] == [
        (project_id, "needs-survey", "需求调研")
    ]
    refused = c.post(
        f"/api/v1/projects/{project_id}/stages/needs-survey/done",
        headers=planner,
        json={"evidence": {"households_interviewed": "12", "observation_days": "4"}},
    )
    assert refused.status_code == 422
    body = refused.json()["error"]
    assert body["code"] == "refused_by_rule"
    assert {p["field"] for p in body["problems"]} == {"evidence.households_interviewed", "attach.problem_map"}
    done = c.post(
        f"/api/v1/projects/{project_id}/stages/needs-survey/done",
        headers=planner,
        data={"evidence.households_interviewed": "36", "evidence.observation_days": "4", "note": "接口提交"},
        files=[("attach.problem_map", ("map.pdf", b"%PDF-1.4 x", "application/pdf"))],
    )
    assert done.status_code == 200, done.text
    assert [e["kind"] for e in done.json()["events"]] == ["stage.submitted"]
    # the planner may not approve; the office may
    assert (
        c.post(f"/api/v1/projects/{project_id}/stages/needs-survey/approve", headers=planner).status_code
        == 403
    )
    approved = c.post(
        f"/api/v1/projects/{project_id}/stages/needs-survey/approve", headers=office, json={"comment": "同意"}
    )
    assert approved.status_code == 200
    again = c.post(f"/api/v1/projects/{project_id}/stages/needs-survey/approve", headers=office)
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    detail = c.get(f"/api/v1/projects/{project_id}", params={"events": "true"}, headers=office).json()
    assert detail["stages"][0]["state"] == "approved"
    channels = {(e["kind"], e["channel"]) for e in detail["events"] if e["kind"].startswith("stage.")}
    assert ("stage.submitted", "api") in channels and ("stage.approved", "api") in channels


def test_errors_map_to_statuses_and_change_nothing(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    planner, office = bearer(app, "wangrb"), bearer(app, "zhaoy")
    c = client(web)
    before = snapshot(app)
    cases = [
        (c.get("/api/v1/projects/99999", headers=planner), 404, "not_found"),
        (c.get("/api/v1/projects/abc", headers=planner), 404, "not_found"),
        (c.post(f"/api/v1/projects/{project_id}/stages/nope/approve", headers=office), 404, "not_found"),
        (
            c.post(f"/api/v1/projects/{project_id}/stages/needs-survey/return", headers=office, json={}),
            400,
            "invalid_input",
        ),
        (
            c.post(
                f"/api/v1/projects/{project_id}/stages/needs-survey/return",
                headers=office,
                json={"reason": "x"},
            ),
            422,
            "refused_by_rule",
        ),
        (
            c.post(
                f"/api/v1/projects/{project_id}/stages/needs-survey/extension",
                headers=planner,
                json={"days": 0, "reason": "x"},
            ),
            400,
            "invalid_input",
        ),
        (
            c.post(
                f"/api/v1/projects/{project_id}/stages/needs-survey/pause",
                headers=planner,
                json={"reason": "x"},
            ),
            403,
            "not_allowed",
        ),
        (
            c.post(
                f"/api/v1/projects/{project_id}/stages/needs-survey/done",
                headers=planner,
                content=b"{not json",
            ),
            400,
            "invalid_input",
        ),
        (c.get("/api/v1/projects", params={"limit": 0}, headers=planner), 400, "invalid_input"),
    ]
    for response, status, code in cases:
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), response.text
    # in the caller's language, like every refusal (it was an English f-string)
    not_json = c.post(
        f"/api/v1/projects/{project_id}/stages/needs-survey/done",
        headers={**planner, "Accept-Language": "zh-CN"},
        content=b"{not json",
    )
    assert not_json.json()["error"]["message"].startswith("请求正文不是有效的阶段完成请求："), not_json.text
    assert snapshot(app) == before


def test_validation_errors_read_in_the_callers_language(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    office, planner = bearer(app, "zhaoy"), bearer(app, "wangrb")
    c = client(web)
    back = f"/api/v1/projects/{project_id}/stages/needs-survey/return"

    def error(path: str, headers: dict[str, str], **sent: Any) -> dict[str, Any]:
        response = c.post(path, headers=headers, **sent)
        assert response.status_code == 400, response.text
        return response.json()["error"]  # type: ignore[no-any-return]

    long = error(back, {**office, "Accept-Language": "zh-CN"}, json={"reason": "长" * 5001})
    assert long["message"] == "reason：最多 5000 个字符" and long["fields"] == ["reason"]
    assert long["problems"] == [{"field": "reason", "message": "reason：最多 5000 个字符"}]
    # the default language is Chinese
    assert error(back, office, json=[1])["message"] == "请求正文：应为 JSON 对象"
    extra = error(back, office, json={"reason": "x", "extra": 1})["message"]
    assert extra == "extra：不是此请求的字段"
    assert error(back, office, json={})["message"] == "reason：必填"
    extension = f"/api/v1/projects/{project_id}/stages/needs-survey/extension"
    days = error(extension, planner, json={"days": "three", "reason": "x"})["message"]
    assert days == "days：应为整数"
    english = error(back, {**office, "Accept-Language": "en"}, json={"reason": "x" * 5001})
    assert english["message"] == "reason: should have at most 5000 characters"
    # a stage-done body too
    done = c.post(
        f"/api/v1/projects/{project_id}/stages/needs-survey/done",
        headers={**planner, "Accept-Language": "zh-CN"},
        json={"evidence": {}, "nope": 1},
    )
    expected = "请求正文不是有效的阶段完成请求：nope：不是此请求的字段"
    assert done.json()["error"]["message"] == expected, done.text


def test_validation_messages_cover_pydantics_common_types() -> None:
    from pydantic import BaseModel, ConfigDict, Field, ValidationError

    from accompany.web.validation import validation_text

    class Body(BaseModel):
        model_config = ConfigDict(extra="forbid")
        text: str = Field(min_length=2, max_length=3)
        count: int = Field(ge=1, le=5)
        day: dt.date
        flag: bool
        items: list[int]
        kind: Literal["a", "b"]

    def zh(value: dict[str, Any]) -> str:
        with pytest.raises(ValidationError) as caught:
            Body.model_validate(value)
        return validation_text(caught.value.errors(), "zh")

    good = {"text": "ab", "count": 1, "day": "2026-04-01", "flag": True, "items": [], "kind": "a"}
    assert zh({**good, "text": "a"}) == "text：至少 2 个字符"
    assert zh({**good, "count": 0}) == "count：应不小于 1"
    assert zh({**good, "count": 6}) == "count：应不大于 5"
    assert zh({**good, "day": "04/01"}) == "day：应为日期，如 2026-04-01"
    assert zh({**good, "day": "2026-04-01T09:30"}) == "day：应为日期，如 2026-04-01"
    assert zh({**good, "flag": "maybe"}) == "flag：应为 true 或 false"
    assert zh({**good, "items": 3}) == "items：应为列表"
    assert zh({**good, "kind": "c"}) == "kind：应为以下之一：'a'、'b'"
    with pytest.raises(ValidationError) as caught:
        Body.model_validate_json(b"{not json")
    assert validation_text(caught.value.errors(), "zh") == "请求正文：不是有效的 JSON"
    # a type without a message keeps pydantic's words
    unknown = {"type": "url_parsing", "loc": ("body", "site"), "msg": "Input should be a URL"}
    assert validation_text([unknown], "zh") == "site：Input should be a URL"


def test_another_district_sees_nothing(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    stranger = bearer(app, "xuw")
    c = client(web)
    assert c.get(f"/api/v1/projects/{project_id}", headers=stranger).status_code == 404
    listing = c.get("/api/v1/projects", headers=stranger).json()
    assert listing == {"total": 0, "offset": 0, "items": []}


def test_the_session_cookie_needs_the_csrf_header_for_commands(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    browser = sign_in(web, "wangrb")
    assert browser.get("/api/v1/me").json()["id"] == "wangrb"
    refused = browser.post(
        f"/api/v1/projects/{project_id}/stages/needs-survey/extension", json={"days": 3, "reason": "等待资料"}
    )
    assert refused.status_code == 401
    token = csrf_of(browser.get("/").text)
    accepted = browser.post(
        f"/api/v1/projects/{project_id}/stages/needs-survey/extension",
        json={"days": 3, "reason": "等待资料"},
        headers={CSRF_HEADER: token},
    )
    assert accepted.status_code == 200
    assert show_project(app, project_id).stages[0].extensions[0].working_days == 3


def test_openapi_and_docs_are_served_without_a_cdn(web) -> None:  # type: ignore[no-untyped-def]
    c = client(web)
    spec = c.get("/api/openapi.json").json()
    assert "/v1/projects/{project_id}/stages/{stage}/done" in spec["paths"]
    docs = c.get("/api/docs").text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
    assert c.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200


def test_the_quarterly_report_through_the_api(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    district = bearer(app, "zhoux")
    c = client(web)
    report = c.get("/api/v1/reports/quarterly", params={"quarter": "2026Q1"}, headers=district)
    assert report.status_code == 200 and report.json()["scope"] == {"district": "chaoyang", "street": None}
    xlsx = c.get(
        "/api/v1/reports/quarterly", params={"quarter": "2026Q1", "format": "xlsx"}, headers=district
    )
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    overview = c.get("/api/v1/reports/quarter", params={"quarter": "2026Q1"}, headers=district).json()
    assert overview["quarter"] == "2026Q1" and overview["scope_name"] == "朝阳区"
    as_csv = c.get(
        "/api/v1/reports/quarterly", params={"quarter": "2026Q1", "format": "csv"}, headers=district
    )
    assert as_csv.status_code == 200 and "数据截止（北京时间）" in as_csv.text and "输入校验和" in as_csv.text
    bad = c.get("/api/v1/reports/quarterly", params={"quarter": "0000Q1"}, headers=district)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_input"
    assert (
        c.get(
            "/api/v1/reports/quarterly", params={"quarter": "2026Q1", "street": "dongsi"}, headers=district
        ).status_code
        == 404
    )
    # another street of the office's own district: refused by its name, not "unknown"
    other = c.get(
        "/api/v1/reports/quarterly",
        params={"quarter": "2026Q1", "street": "jiuxianqiao"},
        headers=bearer(app, "zhaoy"),
    )
    assert other.status_code == 403 and "酒仙桥街道" in other.text, other.text


def test_the_apis_own_refusals_of_address_method_type_and_size(web, app: App) -> None:  # type: ignore[no-untyped-def]
    """An unknown address (404), a method an address does not take (405), a body in
    another content type (415) and one too large (413): the API's error shape, in the
    caller's language — they were FastAPI's English {"detail": …} and plain text."""
    c = client(web)
    auth = bearer(app, "zhaoy")
    nope = c.get("/api/v1/nope", headers=auth)
    assert nope.status_code == 404 and nope.json()["error"]["code"] == "not_found"
    assert "API 中没有地址 /api/v1/nope" in nope.json()["error"]["message"]
    english = c.get("/api/v1/nope", headers={**auth, "Accept-Language": "en"})
    assert english.json()["error"]["message"] == "The API has no address /api/v1/nope."
    wrong = c.delete("/api/v1/projects/1", headers=auth)
    assert wrong.status_code == 405 and "不接受 DELETE 请求" in wrong.json()["error"]["message"]
    typed = c.post(
        "/api/v1/projects/1/stages/needs-survey/approve",
        headers={**auth, "Content-Type": "text/plain"},
        content=b'{"comment": "ok"}',
    )
    assert typed.status_code == 415 and typed.json()["error"]["code"] == "unsupported_media_type"
    assert "JSON" in typed.json()["error"]["message"]
    big = c.post(
        "/api/v1/projects/1/stages/needs-survey/done",
        headers={**auth, "Content-Length": str(500 << 20), "Accept-Language": "en"},
        content=b"{}",
    )
    assert big.status_code == 413 and big.json()["error"]["code"] == "too_large"
    assert big.json()["error"]["message"].startswith("The upload is too large: at most")


def test_a_body_sent_without_its_length_is_refused_as_too_large_when_it_grows_over_the_limit(
    app: App, project_id: int
) -> None:
    """A body streamed without Content-Length (chunked) is counted as it comes: over
    the limit it is the API's 413 in its error shape — it was a 500, the API's own
    error layer answering before the limit could — and nothing changes."""
    small = app.via(app.origin)
    small.settings = app.settings.model_copy(update={"upload_max_mb": 1})
    c = client(create_web_app(small))
    planner = bearer(app, "wangrb")
    before = snapshot(app)

    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"evidence": {"households": "'
        for _ in range(8):
            yield b"1" * (1 << 20)
        yield b'"}}'

    big = c.post(
        f"/api/v1/projects/{project_id}/stages/needs-survey/done",
        headers={**planner, "Content-Type": "application/json"},
        content=chunks(),
    )
    assert big.status_code == 413, big.text[:300]
    assert big.json()["error"]["code"] == "too_large"
    assert snapshot(app) == before
