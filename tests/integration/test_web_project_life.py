"""The coordinator's project-life forms on the project page (ASGI, both databases):
suspend and resume, cancel, change of planner — CSRF required, refusals shown on
the form, nothing changed by a refusal."""

from __future__ import annotations

import pytest

from accompany.bootstrap import App
from accompany.clock import parse_moment
from accompany.services.queries import show_project
from accompany.web.app import create_web_app

from ..web_support import post_form, sign_in, snapshot, visible_text, with_passwords


@pytest.fixture
def app(people: App) -> App:
    return with_passwords(people, "wangrb", "chenm", "zhaoy", "zhangl")


@pytest.fixture
def web(app: App):  # type: ignore[no-untyped-def]
    return create_web_app(app)


def test_the_coordinator_suspends_and_resumes_from_the_project_page(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    app.clock.moment = parse_moment("2026-03-10T09:00")  # type: ignore[attr-defined]
    coordinator = sign_in(web, "zhangl")
    page = coordinator.get(f"/projects/{project_id}").text
    assert f'href="/projects/{project_id}/suspend"' in page
    # no CSRF token: refused, nothing changes
    before = snapshot(app)
    forged = coordinator.post(f"/projects/{project_id}/suspend", data={"reason": "资金未到位"})
    assert forged.status_code == 403
    assert snapshot(app) == before
    # a reason with a control character: shown on the form, nothing changes
    bad = post_form(
        coordinator,
        f"/projects/{project_id}/suspend",
        f"/projects/{project_id}/suspend",
        {"reason": "资金\x07"},
    )
    assert bad.status_code == 400 and 'id="error-reason"' in bad.text
    assert snapshot(app) == before
    done = post_form(
        coordinator,
        f"/projects/{project_id}/suspend",
        f"/projects/{project_id}/suspend",
        {"reason": "资金未到位"},
    )
    assert done.status_code == 303 and done.headers["location"] == f"/projects/{project_id}"
    page = coordinator.get(f"/projects/{project_id}").text
    shown = visible_text(page)
    assert (
        "已暂停" in shown and "资金未到位" in shown and "项目暂停" in shown
    )  # the state, the reason, the log
    assert f'action="/projects/{project_id}/resume"' in page
    assert show_project(app, project_id).status == "suspended"

    app.clock.moment = parse_moment("2026-03-17T09:00")  # type: ignore[attr-defined]
    coordinator = sign_in(web, "zhangl")  # a week later: a new session
    resumed = post_form(coordinator, f"/projects/{project_id}", f"/projects/{project_id}/resume", {})
    assert resumed.status_code == 303
    detail = show_project(app, project_id)
    assert detail.status == "active" and str(detail.stages[0].timing.due) == "2026-04-21"
    assert "项目恢复" in visible_text(coordinator.get(f"/projects/{project_id}").text)
    # a second tab's 恢复项目: told it is not suspended, with the way back — not
    # offered the suspend form (a reason box and a big 暂停项目 button)
    again = post_form(coordinator, f"/projects/{project_id}", f"/projects/{project_id}/resume", {})
    shown = visible_text(again.text)
    assert again.status_code == 422 and "未处于暂停状态" in shown, shown
    assert "<h1>恢复项目</h1>" in again.text and "返回项目" in shown
    assert f'action="/projects/{project_id}/suspend"' not in again.text and 'name="reason"' not in again.text


def test_a_planner_sees_no_project_forms_and_cannot_post_them(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    planner = sign_in(web, "wangrb")
    page = planner.get(f"/projects/{project_id}").text
    assert f"/projects/{project_id}/suspend" not in page and f"/projects/{project_id}/cancel" not in page
    before = snapshot(app)
    refused = post_form(planner, f"/projects/{project_id}", f"/projects/{project_id}/cancel", {"reason": "x"})
    assert refused.status_code == 403
    assert snapshot(app) == before


def test_change_of_planner_and_cancel_from_the_web(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    app.clock.moment = parse_moment("2026-03-10T09:00")  # type: ignore[attr-defined]
    coordinator = sign_in(web, "zhangl")
    form = coordinator.get(f"/projects/{project_id}/handover").text
    options = form.split('name="planner"', 1)[1].split("</select>", 1)[0]
    assert (
        'value="chenm"' in options and 'value="wangrb"' not in options
    )  # only another planner of the street
    moved = post_form(
        coordinator,
        f"/projects/{project_id}/handover",
        f"/projects/{project_id}/handover",
        {"planner": "chenm", "note": "王老师调任"},
    )
    assert moved.status_code == 303
    assert show_project(app, project_id).planner_id == "chenm"
    cancelled = post_form(
        coordinator,
        f"/projects/{project_id}/cancel",
        f"/projects/{project_id}/cancel",
        {"reason": "居民反对"},
    )
    assert cancelled.status_code == 303
    html = coordinator.get(f"/projects/{project_id}").text
    page = visible_text(html)
    assert "已取消" in page and "居民反对" in page
    # its open stage read 进行中 under a green, success-looking notice
    survey = html.split('id="stage-needs-survey"', 1)[1].split("</header>", 1)[0]
    assert "已随项目终止" in survey and "进行中" not in survey
    assert 'class="notice project-status caution"' in html
    listed = visible_text(coordinator.get("/projects?state=cancelled").text)
    assert "已取消" in listed and "居民反对" in listed


def test_a_form_the_rule_refuses_says_why_instead_of_offering_itself(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    """Opened by its address: the planner may not suspend (403); a cancelled project
    takes no more edits (the rule's words, no form)."""
    planner = sign_in(web, "wangrb")
    refused = planner.get(f"/projects/{project_id}/suspend")
    assert refused.status_code == 403 and 'action="/projects/' not in refused.text.split("<main", 1)[1]
    assert "王若冰" in visible_text(refused.text) and "返回项目" in visible_text(refused.text)
    coordinator = sign_in(web, "zhangl")
    url = f"/projects/{project_id}/cancel"
    done = post_form(coordinator, url, url, {"reason": "街道调整计划"})
    assert done.status_code == 303
    for form in ("edit", "parties", "handover", "suspend", "cancel"):
        page = coordinator.get(f"/projects/{project_id}/{form}")
        assert page.status_code in (409, 422), (form, page.status_code)
        assert f'action="/projects/{project_id}/{form}"' not in page.text
        assert "已取消" in visible_text(page.text)


def test_a_handover_sent_again_from_a_stale_page_is_refused(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    """Back after a handover shows the old form (王若冰 holding it): sent again, it
    would hand the project on once more. The form carries the planner it showed; the
    service refuses when that is no longer so, and nothing changes."""
    app.clock.moment = parse_moment("2026-03-10T09:00")  # type: ignore[attr-defined]
    coordinator = sign_in(web, "zhangl")
    url = f"/projects/{project_id}/handover"
    assert 'name="from_planner" value="wangrb"' in coordinator.get(url).text
    stale = {"planner": "chenm", "note": "王老师调任", "from_planner": "wangrb"}
    assert post_form(coordinator, url, url, stale).status_code == 303
    before = snapshot(app)
    again = post_form(coordinator, url, url, {**stale, "planner": "wangrb"})
    assert again.status_code == 409
    assert "项目已在此期间移交给陈敏" in visible_text(again.text)
    assert snapshot(app) == before and show_project(app, project_id).planner_id == "chenm"


def test_editing_a_project_in_the_web_app(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    """A saved edit is recorded; saving unchanged says so in the form's words (it told
    the CLI's --name/--community); a community past its 200 characters is refused by
    the same limit the field shows, nothing written."""
    app.clock.moment = parse_moment("2026-03-10T09:00")  # type: ignore[attr-defined]
    coordinator = sign_in(web, "zhangl")
    url = f"/projects/{project_id}/edit"
    detail = show_project(app, project_id)
    before = snapshot(app)
    same = post_form(coordinator, url, url, {"name": detail.name, "community": detail.community})
    assert same.status_code == 400
    shown = visible_text(same.text)
    assert "没有需要保存的修改" in shown and "--" not in shown
    long = post_form(coordinator, url, url, {"name": detail.name, "community": "社" * 250})
    assert long.status_code == 400 and "最多 200 个字符" in visible_text(long.text)
    assert snapshot(app) == before
    saved = post_form(coordinator, url, url, {"name": "太阳宫口袋公园", "community": detail.community})
    assert saved.status_code == 303 and show_project(app, project_id).name == "太阳宫口袋公园"


def test_an_edit_tells_both_fields_problems_at_once(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    """A blank name (the rule's) and a community too long (the form's): one answer."""
    app.clock.moment = parse_moment("2026-03-10T09:00")  # type: ignore[attr-defined]
    coordinator = sign_in(web, "zhangl")
    url = f"/projects/{project_id}/edit"
    before = snapshot(app)
    refused = post_form(coordinator, url, url, {"name": " ", "community": "社" * 250})
    assert refused.status_code == 400
    shown = visible_text(refused.text)
    assert "有 2 处需要修改" in shown and "请填写项目名称" in shown and "最多 200 个字符" in shown
    assert snapshot(app) == before


def test_a_second_tab_neither_undoes_nor_overwrites_the_first(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    """Two tabs on the edit form: tab A renamed the project, then tab B changed only
    the community — and saved A's old name back with it, told 已保存. B's form now
    says what it showed (seen.*): its unchanged name is left alone, its community
    saved. A third tab that renames it from the old name is refused with the new
    name, nothing written, and what it typed kept."""
    app.clock.moment = parse_moment("2026-03-10T09:00")  # type: ignore[attr-defined]
    coordinator = sign_in(web, "zhangl")
    url = f"/projects/{project_id}/edit"
    detail = show_project(app, project_id)
    form = coordinator.get(url).text
    assert f'name="seen.name" value="{detail.name}"' in form
    old = {"seen.name": detail.name, "seen.community": detail.community}
    a = post_form(
        coordinator, url, url, {**old, "name": "太阳宫口袋公园（A）", "community": detail.community}
    )
    assert a.status_code == 303
    b = post_form(coordinator, url, url, {**old, "name": detail.name, "community": "夏家园社区"})
    assert b.status_code == 303
    now = show_project(app, project_id)
    assert (now.name, now.community) == ("太阳宫口袋公园（A）", "夏家园社区")
    # the audit log reads each change with a Chinese colon (名称: read as English)
    history = visible_text(coordinator.get(f"/projects/{project_id}").text)
    assert f"名称：{detail.name} → 太阳宫口袋公园（A）" in history and "名称: " not in history
    assert "责任规划师：王若冰" in visible_text(coordinator.get(f"/projects/{project_id}/handover").text)
    before = snapshot(app)
    c = post_form(coordinator, url, url, {**old, "name": "太阳宫口袋公园（C）", "community": "夏家园社区"})
    shown = visible_text(c.text)
    assert c.status_code == 409, shown
    assert "「项目名称」已在此期间改为「太阳宫口袋公园（A）」" in shown, shown
    assert 'value="太阳宫口袋公园（C）"' in c.text
    assert snapshot(app) == before
    # the form shown again reads the project as it is now: saving it again is deliberate
    again = post_form(coordinator, url, url, {"name": "太阳宫口袋公园（C）", "community": "夏家园社区"})
    assert again.status_code == 303 and show_project(app, project_id).name == "太阳宫口袋公园（C）"
