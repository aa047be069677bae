"""Moving a project to the newest version of its template on the web (ASGI, both
databases): the coordinator sees the plan from the project page and confirms; the
planner may not; a stale confirmation or a missing CSRF token changes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from accompany.bootstrap import App
from accompany.models.deadlines import local_date
from accompany.services import commands
from accompany.services.queries import show_project
from accompany.web.app import create_web_app

from ..conftest import start_command, write_pocket_park_with_upkeep
from ..web_support import post_form, sign_in, snapshot, visible_text, with_passwords


@pytest.fixture
def app(people: App) -> App:
    return with_passwords(people, "wangrb", "zhangl")


@pytest.fixture
def web(app: App):  # type: ignore[no-untyped-def]
    return create_web_app(app)


@pytest.fixture
def on_v2(app: App) -> int:
    outcome = commands.start_project(app, start_command(template_version=2))
    assert outcome.project_id is not None
    return outcome.project_id


def test_the_coordinator_moves_a_project_to_the_newest_version(web, app: App, on_v2: int) -> None:  # type: ignore[no-untyped-def]
    coordinator = sign_in(web, "zhangl")
    page = coordinator.get(f"/projects/{on_v2}").text
    assert f'href="/projects/{on_v2}/migrate"' in page and "迁移到第 3 版" in visible_text(page)
    assert "accompany-service@" not in visible_text(page)  # versions as people name them
    url = f"/projects/{on_v2}/migrate"
    plan = coordinator.get(url)
    assert plan.status_code == 200
    shown = visible_text(plan.text)
    assert "从第 2 版迁移到第 3 版" in shown
    assert "保留" in shown and "需求调研" in shown and "进行中" in shown
    assert 'name="to" value="accompany-service@3"' in plan.text
    before = snapshot(app)
    # no CSRF token, or a confirmation of another version: nothing changes
    assert coordinator.post(url, data={"to": "accompany-service@3"}).status_code == 403
    stale = post_form(coordinator, url, url, {"to": "accompany-service@9"})
    assert stale.status_code == 409 and "请重新核对迁移方案" in visible_text(stale.text)
    assert snapshot(app) == before
    moved = post_form(coordinator, url, url, {"to": "accompany-service@3"})
    assert moved.status_code == 303, visible_text(moved.text)[:400]
    assert show_project(app, on_v2).template == "accompany-service@3"
    after = coordinator.get(f"/projects/{on_v2}").text
    assert "模板迁移" in visible_text(after) and f'href="/projects/{on_v2}/migrate"' not in after
    assert "已在使用最新版本" in visible_text(coordinator.get(url).text)


def test_the_planner_may_not_move_a_project(web, app: App, on_v2: int) -> None:  # type: ignore[no-untyped-def]
    planner = sign_in(web, "wangrb")
    assert f'href="/projects/{on_v2}/migrate"' not in planner.get(f"/projects/{on_v2}").text
    assert planner.get(f"/projects/{on_v2}/migrate").status_code == 403
    before = snapshot(app)
    refused = post_form(
        planner, f"/projects/{on_v2}", f"/projects/{on_v2}/migrate", {"to": "accompany-service@3"}
    )
    assert refused.status_code == 403
    assert snapshot(app) == before
    assert show_project(app, on_v2).template == "accompany-service@2"


def test_a_move_waiting_for_parties_links_to_the_parties_page(web, app: App, on_v2: int) -> None:  # type: ignore[no-untyped-def]
    """The acceptance submitted under version 2 is signed jointly under version 3: the
    plan names the parties missing in words (no command line) and
    leads to the page where they are named."""
    from sqlalchemy import update

    from accompany.db.orm import StageRow

    with app.uow() as uow:
        uow.session.execute(
            update(StageRow)
            .where(StageRow.project_id == on_v2, StageRow.key == "completion-acceptance")
            .values(state="submitted", submitted_at=app.now())
        )
        uow.commit()
    coordinator = sign_in(web, "zhangl")
    plan = coordinator.get(f"/projects/{on_v2}/migrate")
    shown = visible_text(plan.text)
    assert plan.status_code in (409, 422), shown[:300]
    assert "由建设单位签署" in shown and "请先在项目参与方中指定" in shown
    assert "accompany project" not in shown and "--set" not in shown and "accompany template" not in shown
    assert f'href="/projects/{on_v2}/parties"' in plan.text


@pytest.fixture
def pocket_with_upkeep(app: App, tmp_path: Path) -> App:
    app.settings.templates_dir = write_pocket_park_with_upkeep(tmp_path / "templates")
    app.__dict__.pop("catalog", None)
    return app


def test_a_new_set_at_start_deadline_is_chosen_on_the_page(web, pocket_with_upkeep: App) -> None:  # type: ignore[no-untyped-def]
    """The date the CLI takes as --due is typed on the page: the plan is checked with
    it, a missing, malformed or past date is told next to its field and moves nothing,
    and the move confirmed is the plan shown (a date changed after the check is checked
    again, not moved at once)."""
    app = pocket_with_upkeep
    outcome = commands.start_project(
        app,
        start_command(
            template="pocket-park", template_version=1, stage_deadlines={"build": dt.date(2026, 10, 30)}
        ),
    )
    project_id = outcome.project_id
    url = f"/projects/{project_id}/migrate"
    coordinator = sign_in(web, "zhangl")
    page = coordinator.get(url)
    assert page.status_code == 200, visible_text(page.text)[:400]
    shown = visible_text(page.text)
    assert "迁移时设定的截止日期" in shown and "养护移交" in shown
    assert 'name="due.upkeep"' in page.text
    assert "--due" not in shown and "将项目迁移到第 2 版" not in shown  # no move before a date
    before = snapshot(app)
    today = local_date(app.now())
    for typed, said in (
        ("", "请选择日期"),
        ("31/12/2026", "不是有效日期（格式如 2026-03-15）"),
        (today.isoformat(), f"截止日期须晚于今天（{today.isoformat()}）"),
    ):
        refused = post_form(coordinator, url, url, {"to": "pocket-park@2", "due.upkeep": typed})
        assert refused.status_code == 400, (typed, visible_text(refused.text)[:400])
        assert said in visible_text(refused.text), typed
        assert 'id="error-due.upkeep"' in refused.text and 'aria-invalid="true"' in refused.text
        assert "--due" not in visible_text(refused.text)
        assert snapshot(app) == before
    chosen = today + dt.timedelta(days=90)
    checked = post_form(coordinator, url, url, {"to": "pocket-park@2", "due.upkeep": chosen.isoformat()})
    assert checked.status_code == 200, visible_text(checked.text)[:400]
    plan = visible_text(checked.text)
    assert "新增" in plan and "养护移交" in plan and chosen.isoformat() in plan
    assert "将项目迁移到第 2 版" in plan
    assert f'name="checked.upkeep" value="{chosen.isoformat()}"' in checked.text
    assert snapshot(app) == before
    # the date changed after the check: the plan is shown again with it, nothing moves
    later = chosen + dt.timedelta(days=1)
    again = post_form(
        coordinator,
        url,
        url,
        {"to": "pocket-park@2", "due.upkeep": later.isoformat(), "checked.upkeep": chosen.isoformat()},
    )
    assert again.status_code == 200 and later.isoformat() in visible_text(again.text)
    assert snapshot(app) == before
    moved = post_form(
        coordinator,
        url,
        url,
        {"to": "pocket-park@2", "due.upkeep": later.isoformat(), "checked.upkeep": later.isoformat()},
    )
    assert moved.status_code == 303, visible_text(moved.text)[:400]
    detail = show_project(app, project_id)
    assert detail.template == "pocket-park@2"
    upkeep = next(stage for stage in detail.stages if stage.key == "upkeep")
    assert upkeep.timing.due == later
