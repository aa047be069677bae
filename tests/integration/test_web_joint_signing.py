"""Joint signing on the web pages and through /api/v1 (both databases): a party sees
the projects it is on, the signing table, "Approve or return" on the stage awaiting
it and its "my work"; the API starts a project with its parties and takes a party's
signature at the same endpoint as any approval."""

from __future__ import annotations

import pytest

from accompany.bootstrap import App
from accompany.services import accounts, commands
from accompany.services.commands import CompleteStage
from accompany.services.queries import show_project
from accompany.web.app import create_web_app

from ..web_support import client, post_form, sign_in, snapshot, visible_text, with_passwords
from .test_joint_signing import PARTIES, settings  # noqa: F401 - the template folder with the joint template


@pytest.fixture
def app(people: App) -> App:
    return with_passwords(people, "sy-design", "tyg-wy", "wangrb", "zhangl")


@pytest.fixture
def web(app: App):  # type: ignore[no-untyped-def]
    return create_web_app(app)


def bearer(app: App, person: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {accounts.create_api_token(app, person, 'test', by='operator').token}"}


BODY = {
    "name": "竣工验收会签",
    "community": "太阳宫北社区",
    "street": "taiyanggong",
    "planner": "wangrb",
    "start": "2026-03-02",
    "template": "joint-acceptance",
}


def test_api_start_and_web_signature(web, app: App) -> None:  # type: ignore[no-untyped-def]
    api = client(web)
    coordinator = bearer(app, "zhangl")
    before = snapshot(app)
    r = api.post(
        "/api/v1/projects", headers=coordinator, json={**BODY, "parties": {**PARTIES, "designer": "x"}}
    )
    assert r.status_code == 400 and "designer" in r.json()["error"]["message"], r.text
    assert snapshot(app) == before
    r = api.post("/api/v1/projects", headers=coordinator, json={**BODY, "parties": PARTIES})
    assert r.status_code == 201, r.text
    project_id = r.json()["id"]
    assert {p["role"]: p["person"] for p in r.json()["parties"]}["design"] == "sy-design"
    commands.complete_stage(app, CompleteStage(project_id=project_id, stage="acceptance", by="wangrb"))

    design = sign_in(web, "sy-design")
    work = visible_text(design.get("/").text)
    assert "等待我签署" in work and "竣工验收会签" in work
    page = design.get(f"/projects/{project_id}")
    assert page.status_code == 200
    assert 'class="signing"' in page.text and 'data-party="design"' in page.text
    assert f"/projects/{project_id}/stages/acceptance/decide" in page.text  # "Approve or return"
    url = f"/projects/{project_id}/stages/acceptance/decide"
    r = post_form(design, url, f"/projects/{project_id}/stages/acceptance/approve", {"comment": "图纸相符"})
    assert r.status_code == 303, visible_text(r.text)[:300]
    stage = show_project(app, project_id).stages[0]
    assert stage.signing is not None and stage.signing.signed == ["design"]
    page = design.get(f"/projects/{project_id}").text
    assert f"/projects/{project_id}/stages/acceptance/decide" not in page  # signed: nothing more to decide
    assert "等待我签署" in visible_text(design.get("/").text)
    assert "竣工验收会签" not in visible_text(design.get("/").text)
    # a party sees no reports and no other project
    assert design.get("/reports").status_code == 403
    other = commands.start_project(
        app,
        commands.StartProject(
            name="别的项目",
            district="chaoyang",
            street="taiyanggong",
            community="x",
            planner="wangrb",
            start=__import__("datetime").date(2026, 3, 2),
            by="zhangl",
            stage_deadlines={"construction-accompany": __import__("datetime").date(2026, 10, 30)},
        ),
    ).project_id
    assert design.get(f"/projects/{other}").status_code == 404
    assert "别的项目" not in visible_text(design.get("/projects").text)
    outsider = sign_in(web, "tyg-wy")  # the property manager is on neither project
    assert outsider.get(f"/projects/{project_id}").status_code == 404

    # the API: the construction company signs at the approval endpoint; twice is a conflict
    construction = bearer(app, "sy-build")
    r = api.post(f"/api/v1/projects/{project_id}/stages/acceptance/approve", headers=construction, json={})
    assert r.status_code == 200, r.text
    assert show_project(app, project_id).stages[0].signing.signed == ["design", "construction"]  # type: ignore[union-attr]
    r = api.post(f"/api/v1/projects/{project_id}/stages/acceptance/approve", headers=construction, json={})
    assert (r.status_code, r.json()["error"]["code"]) == (409, "conflict")
    r = api.post(
        f"/api/v1/projects/{project_id}/stages/acceptance/approve", headers=bearer(app, "zhaoy"), json={}
    )
    assert r.status_code == 403
    listed = api.get("/api/v1/projects", headers=construction).json()
    assert [p["id"] for p in listed["items"]] == [project_id]
    r = api.post(
        f"/api/v1/projects/{project_id}/parties", headers=coordinator, json={"parties": {"expert": "linzj"}}
    )
    assert r.status_code == 200, r.text

    # a project started with only some of its parties: marking the 会签's stage done is
    # refused (422, naming the missing parties) until the coordinator names them
    r = api.post(
        "/api/v1/projects",
        headers=coordinator,
        json={**BODY, "name": "竣工验收会签（参与方后补）", "parties": {"design": "sy-design"}},
    )
    assert r.status_code == 201, r.text
    later = r.json()["id"]
    planner = bearer(app, "wangrb")
    before = snapshot(app)
    r = api.post(f"/api/v1/projects/{later}/stages/acceptance/done", headers=planner, json={})
    assert (
        r.status_code == 422 and "还没有指定建设单位、施工单位、监理单位" in r.json()["error"]["message"]
    ), r.text
    assert snapshot(app) == before
    r = api.post(
        f"/api/v1/projects/{later}/parties",
        headers=coordinator,
        json={"parties": {k: v for k, v in PARTIES.items() if k != "design"}},
    )
    assert r.status_code == 200, r.text
    r = api.post(f"/api/v1/projects/{later}/stages/acceptance/done", headers=planner, json={})
    assert r.status_code == 200, r.text


def test_the_start_form_names_the_parties(web, app: App) -> None:  # type: ignore[no-untyped-def]
    coordinator = sign_in(web, "zhangl")
    url = "/projects/new?template=joint-acceptance@1"
    form = coordinator.get(url).text
    assert 'name="party.design"' in form and 'name="party.community-committee"' in form
    # the coordinator picks the parties by name; the form sends the person's id
    assert '<option value="sy-design">示例设计院</option>' in form
    assert "人员编号" not in visible_text(form)
    data = {
        "template": "joint-acceptance@1",
        "name": "网页会签项目",
        "street": "taiyanggong",
        "community": "太阳宫北社区",
        "planner": "wangrb",
        "start": "2026-03-02",
        **{f"party.{role}": person for role, person in PARTIES.items() if role != "design"},
    }
    # started without the design institute: it is named later, before the acceptance
    r = post_form(coordinator, url, "/projects/new", data)
    assert r.status_code == 303, visible_text(r.text)[:400]
    project_id = int(r.headers["location"].rsplit("/", 1)[1])
    page = coordinator.get(f"/projects/{project_id}").text
    assert "竣工验收需由设计单位签署，本项目尚未指定。" in visible_text(page)
    assert f'href="/projects/{project_id}/parties"' in page
    form_url = f"/projects/{project_id}/parties"
    form_page = coordinator.get(form_url).text
    assert '<option value="sy-design">示例设计院</option>' in form_page
    # a person of another role is refused next to the field, nothing changed
    before = snapshot(app)
    r = post_form(coordinator, form_url, form_url, {"party.design": "sy-build"})
    assert r.status_code == 400 and "不是设计单位" in visible_text(r.text)
    assert snapshot(app) == before
    r = post_form(coordinator, form_url, form_url, {"party.design": "sy-design"})
    assert r.status_code == 303, visible_text(r.text)[:400]
    assert {p.role: p.person for p in show_project(app, project_id).parties}["design"] == "sy-design"
    assert "尚未指定" not in visible_text(coordinator.get(f"/projects/{project_id}").text)
    # named by mistake: "— not named yet —" takes it off the list again
    r = post_form(coordinator, form_url, form_url, {"party.design": ""})
    assert r.status_code == 303, visible_text(r.text)[:400]
    assert "design" not in {p.role for p in show_project(app, project_id).parties}
    # the history says who was named and who taken off, by name
    history = visible_text(coordinator.get(f"/projects/{project_id}/events").text)
    assert "设计单位：— → 示例设计院" in history and "设计单位：示例设计院 → —" in history
    assert "竣工验收需由设计单位签署，本项目尚未指定。" in visible_text(
        coordinator.get(f"/projects/{project_id}").text
    )
    r = post_form(coordinator, form_url, form_url, {"party.design": "sy-design"})
    assert r.status_code == 303, visible_text(r.text)[:400]
    # the planner sees no parties form
    planner = sign_in(web, "wangrb")
    assert f'href="/projects/{project_id}/parties"' not in planner.get(f"/projects/{project_id}").text


def test_the_parties_page_of_a_template_without_parties_says_so(app: App) -> None:
    """A project on version 1 of the service template (no stage signed by parties):
    its parties page, opened by its address, says there are none to name — no empty
    form with a Save button."""
    from ..conftest import start_command

    web = create_web_app(app)
    project_id = commands.start_project(app, start_command(template_version=1)).project_id
    coordinator = sign_in(web, "zhangl")
    page = coordinator.get(f"/projects/{project_id}/parties")
    assert page.status_code == 200
    assert "无需指定参与方" in visible_text(page.text)
    assert f'action="/projects/{project_id}/parties"' not in page.text
