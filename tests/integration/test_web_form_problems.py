"""A form with several bad fields is refused once, naming every one of them, each next
to its own field (in Chinese), with what the person typed kept: the new-project form,
the extension request and the satisfaction survey (public and paper) — through the
ASGI app on both databases; nothing is written."""

from __future__ import annotations

import re
from typing import Any

import pytest

from accompany.bootstrap import App
from accompany.clock import parse_moment
from accompany.services import households
from accompany.services.public import set_published
from accompany.web.app import create_web_app

from ..web_support import client, post_form, sign_in, snapshot, visible_text, with_passwords
from .test_consent import HEADER, codes
from .test_satisfaction import ROWS, open_survey


@pytest.fixture
def app(people: App) -> App:
    return with_passwords(people, "wangrb", "zhangl")


@pytest.fixture
def web(app: App):  # type: ignore[no-untyped-def]
    return create_web_app(app)


def next_to(html: str, field: str) -> str:
    """The messages shown next to ``field`` (each in its own ``error-<field>``)."""
    found = re.findall(rf'<small class="field-error" id="error-{re.escape(field)}">(.*?)</small>', html, re.S)
    assert found, f"no message next to {field}"
    return " ".join(visible_text(m) for m in found)


NEW_PROJECT = {
    "name": "新项目",
    "street": "taiyanggong",
    "community": "太阳宫中路社区",
    "planner": "wangrb",
    "start": "2026-03-02",
    "deadline.construction-accompany": "2026-10-30",
}


def test_the_new_project_form_names_every_bad_field_at_once(web: Any, app: App) -> None:
    coordinator = sign_in(web, "zhangl")
    before = snapshot(app)
    # what the form itself reads: a name too long, a day that is not one, a NUL
    typed = {
        **NEW_PROJECT,
        "name": "长" * 301,
        "start": "2026-02-30",
        "community": "我写的社区",
        "param.observation_days_min": "3\x00",
    }
    refused = post_form(coordinator, "/projects/new", "/projects/new", typed)
    assert refused.status_code == 400
    assert "「项目名称」过长：最多 300 个字符" in next_to(refused.text, "name")
    assert "「2026-02-30」不是有效日期" in next_to(refused.text, "start")
    assert "含有空字符（NUL）" in next_to(refused.text, "param.observation_days_min")
    assert "<details open>" in refused.text  # the parameters' box opened on its problem
    top = visible_text(re.search(r'<p class="form-error" role="alert">(.*?)</p>', refused.text, re.S)[1])
    assert top.startswith("有 3 处需要修改") and "过长" in top and "不是有效日期" in top
    # what was typed is kept
    assert 'value="我写的社区"' in refused.text and 'value="2026-02-30"' in refused.text
    assert 'value="2026-10-30"' in refused.text

    # what the rules check (``Project.start``): every field of theirs at once too
    typed = {
        **NEW_PROJECT,
        "name": " ",
        "community": " ",
        "planner": "zhangl",
        "deadline.construction-accompany": "2026-03-01",
    }
    refused = post_form(coordinator, "/projects/new", "/projects/new", typed)
    assert refused.status_code == 400
    assert next_to(refused.text, "name") == "请填写项目名称"
    assert next_to(refused.text, "community") == "请填写社区"
    assert "不是责任规划师" in next_to(refused.text, "planner")
    assert next_to(refused.text, "deadline.construction-accompany").endswith(
        "的截止日期（2026-03-01）须晚于项目启动日期（2026-03-02）"
    )
    assert "有 4 处需要修改" in visible_text(refused.text)
    assert 'value="2026-03-01"' in refused.text and 'value="2026-03-02"' in refused.text
    assert snapshot(app) == before


def test_an_empty_new_project_form_names_the_missing_deadline_with_the_rest(web: Any, app: App) -> None:
    """Sent empty, the form named four problems; the 施工陪伴 date, required as well,
    came only in the next round (the start missing, every deadline problem was put
    aside). A deadline left out does not depend on the start: it is told at once."""
    coordinator = sign_in(web, "zhangl")
    before = snapshot(app)
    empty = {key: "" for key in NEW_PROJECT} | {"street": "taiyanggong"}  # the list's first street
    refused = post_form(coordinator, "/projects/new", "/projects/new", empty)
    assert refused.status_code == 400
    shown = visible_text(refused.text)
    assert "请填写项目名称" in shown and "请填写社区" in shown and "请选择责任规划师" in shown
    assert "需要在启动时指定截止日期" in next_to(refused.text, "deadline.construction-accompany")
    assert "有 5 处需要修改" in shown
    assert snapshot(app) == before


def test_the_new_project_form_tells_its_own_problems_and_the_rules_in_one_answer(web: Any, app: App) -> None:
    """A day that is not one (the form's) with a planner who is not one and an empty
    community (the rules'): one answer, not one round each. The deadline, which the
    rules would compare with the refused start, is not blamed; nothing is written."""
    with_passwords(app, "zhangl", "zhaoy")
    coordinator = sign_in(web, "zhangl")
    before = snapshot(app)
    typed = {**NEW_PROJECT, "start": "2026-02-30", "planner": "zhangl", "community": " "}
    refused = post_form(coordinator, "/projects/new", "/projects/new", typed)
    assert refused.status_code == 400
    assert "不是有效日期" in next_to(refused.text, "start")
    assert "不是责任规划师" in next_to(refused.text, "planner")
    assert next_to(refused.text, "community") == "请填写社区"
    assert 'id="error-deadline.construction-accompany"' not in refused.text
    assert "有 3 处需要修改" in visible_text(refused.text)
    assert snapshot(app) == before
    # someone who may not start projects here learns that, not the form's problems
    office = sign_in(web, "zhaoy")
    refused = post_form(office, "/projects/new", "/projects/new", typed)
    assert refused.status_code == 403 and "不是有效日期" not in visible_text(refused.text)
    assert snapshot(app) == before


def test_the_template_parameters_are_named_as_people_name_them(web: Any, app: App) -> None:
    coordinator = sign_in(web, "zhangl")
    form = coordinator.get("/projects/new").text
    shown = visible_text(form)
    for words in ("最少入户访谈户数", "最少驻场观察天数", "方案公示期（自然日）", "意见征询最低同意率"):
        assert words in shown
    assert "满意度调查最少样本数" in shown and "施工陪伴现场间隔上限（工作日）" in shown
    # the keys stay the fields' names, out of sight
    assert "households_interviewed_min" not in shown
    assert 'name="param.households_interviewed_min"' in form
    before = snapshot(app)
    typed = {**NEW_PROJECT, "param.households_interviewed_min": "三十", "param.consent_ratio_min": "3/2"}
    refused = post_form(coordinator, "/projects/new", "/projects/new", typed)
    assert refused.status_code == 400
    assert next_to(refused.text, "param.households_interviewed_min") == (
        "参数 最少入户访谈户数：应为整数，实际为「三十」"
    )
    assert "意见征询最低同意率" in next_to(refused.text, "param.consent_ratio_min")
    assert "households_interviewed_min" not in visible_text(refused.text)
    assert snapshot(app) == before


def test_the_extension_request_names_both_bad_fields_at_once(web: Any, app: App, project_id: int) -> None:
    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    planner = sign_in(web, "wangrb")
    before = snapshot(app)
    address = f"/projects/{project_id}/stages/needs-survey/extension"
    # the form's own checks: days not a number, a reason too long
    refused = post_form(planner, address, address, {"days": "五天", "reason": "等" * 5001})
    assert refused.status_code == 400
    assert next_to(refused.text, "days") == "请填写工作日天数（整数），例如 5。"
    assert next_to(refused.text, "reason") == "「原因」过长：最多 5000 个字符"
    assert 'value="五天"' in refused.text and "等" * 5001 in refused.text
    # the rules' checks: days out of range, no reason
    refused = post_form(planner, address, address, {"days": "0", "reason": "  "})
    assert refused.status_code == 400
    assert next_to(refused.text, "days") == "延期天数须为 1–250 个工作日，实际 0"
    assert next_to(refused.text, "reason") == "申请延期需要填写理由"
    assert "有 2 处需要修改" in visible_text(refused.text)
    assert 'value="0"' in refused.text
    assert snapshot(app) == before


@pytest.fixture
def survey(app: App, project_id: int) -> list[str]:
    households.load_register(app, project_id, HEADER, ROWS, by="zhangl")
    set_published(app, project_id, by="zhangl")
    open_survey(app, project_id)
    return codes(app, project_id)


BAD_ANSWER = {"content": "0", "process": "4", "management": "", "comment": "很好" * 300}


def _assert_every_problem_next_to_its_question(html: str) -> None:
    assert "改造内容的评分须为1（非常不满意）到5（非常满意）的整数" in next_to(html, "content")
    assert next_to(html, "management") == "请为长效管理打分"  # nothing chosen: asked for, no range
    assert next_to(html, "comment") == "意见过长：600 字（最多 500 字）"  # refused, not cut
    assert "有 3 处需要修改" in visible_text(html)
    assert 'id="error-process"' not in html
    # the answer as typed: the good score still chosen, the comment kept
    assert re.search(r'name="process" value="4" required checked', html)
    assert not re.search(r'name="(content|management)" value="\d" required checked', html)
    assert "很好" * 300 + "</textarea>" in html


def test_the_public_survey_names_every_bad_question_at_once(
    web: Any, app: App, project_id: int, survey: list[str]
) -> None:
    resident = client(web)
    page = resident.get(f"/public/projects/{project_id}")
    token = re.search(r'name="token" value="([^"]+)"', page.text.split("/satisfaction")[1])[1]  # type: ignore[index]
    before = snapshot(app)
    refused = resident.post(
        f"/public/projects/{project_id}/satisfaction",
        data={"code": survey[0], **BAD_ANSWER, "token": token, "lang": "zh"},
    )
    assert refused.status_code == 400
    _assert_every_problem_next_to_its_question(refused.text)
    assert f'value="{survey[0]}"' in refused.text
    assert snapshot(app) == before


def _public_answer(resident: Any, project_id: int, data: dict[str, str]) -> Any:
    page = resident.get(f"/public/projects/{project_id}")
    token = re.search(r'name="token" value="([^"]+)"', page.text.split("/satisfaction")[1])[1]  # type: ignore[index]
    return resident.post(
        f"/public/projects/{project_id}/satisfaction", data={**data, "token": token, "lang": "zh"}
    )


def test_a_blank_household_code_is_asked_for_next_to_its_field(
    web: Any, app: App, project_id: int, survey: list[str]
) -> None:
    """Not "code '' is not in the register": the code is asked for, and counted with
    the other problems of the form."""
    resident = client(web)
    before = snapshot(app)
    scored = _public_answer(
        resident, project_id, {"code": " ", "content": "4", "process": "4", "management": "4"}
    )
    assert scored.status_code == 400
    assert next_to(scored.text, "code") == "请输入住户编码"
    assert "不在本项目的住户名册中" not in visible_text(scored.text)
    nothing = _public_answer(
        resident, project_id, {"code": "", "content": "", "process": "", "management": ""}
    )
    assert nothing.status_code == 400
    assert "有 4 处需要修改" in visible_text(nothing.text) and "请输入住户编码" in visible_text(nothing.text)
    assert next_to(nothing.text, "code") == "请输入住户编码"
    assert next_to(nothing.text, "management") == "请为长效管理打分"
    planner = sign_in(web, "wangrb")
    paper = post_form(
        planner,
        f"/projects/{project_id}",
        f"/projects/{project_id}/satisfaction",
        {"household": "", "content": "4", "process": "4", "management": "4"},
    )
    assert paper.status_code == 400 and next_to(paper.text, "code") == "请输入住户编码或门牌（如 3-2-501）"
    assert snapshot(app) == before


def test_the_paper_answer_names_every_bad_question_at_once(
    web: Any, app: App, project_id: int, survey: list[str]
) -> None:
    planner = sign_in(web, "wangrb")
    before = snapshot(app)
    address = f"/projects/{project_id}/satisfaction"
    refused = post_form(planner, f"/projects/{project_id}", address, {"household": "1-1-101", **BAD_ANSWER})
    assert refused.status_code == 400
    _assert_every_problem_next_to_its_question(refused.text)
    assert 'name="household" value="1-1-101"' in refused.text
    assert snapshot(app) == before


def test_only_a_coordinator_is_shown_the_new_project_and_import_forms(web: Any, app: App) -> None:
    """A planner or a street office opening the forms by their address learns at once
    that only a coordinator starts projects (403, the rule's words, no form), not after
    filling one in — nor once per row of an imported file."""
    with_passwords(app, "wangrb", "zhaoy")
    before = snapshot(app)
    for account in ("wangrb", "zhaoy"):
        person = sign_in(web, account)
        for address in ("/projects/new", "/projects/import"):
            page = person.get(address)
            assert page.status_code == 403, (account, address)
            assert "只有协调人可以启动项目" in visible_text(page.text)
            assert 'action="/projects/' not in page.text.split("<footer")[0]
        token = re.search(r'name="csrf" value="([^"]+)"', person.get("/account").text)
        assert token
        sample = "名称,街道,社区,责任规划师,启动日期\n口袋公园,太阳宫街道,太阳宫北社区,王若冰,2026-03-02\n"
        refused = person.post(
            "/projects/import",
            data={"csrf": token[1]},
            files=[("file", ("projects.csv", sample.encode(), "text/csv"))],
        )
        assert refused.status_code == 403
        assert visible_text(refused.text).count("只有协调人可以启动项目") == 1
    assert snapshot(app) == before


def test_a_twin_project_is_told_with_the_forms_own_way_on_not_the_clis(web: Any, app: App) -> None:
    """The same name, street and start again: the refusal points at the box the form
    shows ("仍然新建"), never at a command-line option; ticking it starts the twin."""
    coordinator = sign_in(web, "zhangl")
    assert post_form(coordinator, "/projects/new", "/projects/new", NEW_PROJECT).status_code == 303
    twin = post_form(coordinator, "/projects/new", "/projects/new", NEW_PROJECT)
    assert twin.status_code == 409
    told = next_to(twin.text, "name")
    assert "请勾选下方的“仍然新建：这是同名的另一个项目”" in told and "--" not in visible_text(twin.text)
    assert 'name="allow_duplicate"' in twin.text
    again = post_form(coordinator, "/projects/new", "/projects/new", {**NEW_PROJECT, "allow_duplicate": "1"})
    assert again.status_code == 303


def test_no_planner_chosen_is_told_as_such(web: Any, app: App) -> None:
    """Past the browser's "required": no planner reads "请选择责任规划师", not "the
    directory has no ''", told with the other problems."""
    coordinator = sign_in(web, "zhangl")
    before = snapshot(app)
    typed = {**NEW_PROJECT, "planner": " ", "start": "", "community": " "}
    refused = post_form(coordinator, "/projects/new", "/projects/new", typed)
    assert refused.status_code == 400
    assert next_to(refused.text, "planner") == "请选择责任规划师。"
    assert next_to(refused.text, "start") == "请选择日期。"
    # the rules' own problems too, though no planner was chosen (it took another round)
    assert next_to(refused.text, "community") == "请填写社区"
    shown = visible_text(refused.text)
    assert "「」" not in shown and "有 3 处需要修改" in shown and "。；" not in shown
    assert snapshot(app) == before
