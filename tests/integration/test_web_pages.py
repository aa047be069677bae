"""The pages people work in (ASGI, both databases): my work per role, the project
page, the stage forms with files, scope, hostile text, the import and reports."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook

from accompany.bootstrap import App
from accompany.clock import parse_moment
from accompany.services import commands
from accompany.services.commands import CompleteStage, DecideApproval
from accompany.web.app import create_web_app
from accompany.web.security import LANG_COOKIE

from ..conftest import start_command
from ..web_support import client, post_form, sign_in, snapshot, visible_text, with_passwords

PDF = b"%PDF-1.4 problem map"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 64


@pytest.fixture
def app(people: App) -> App:
    return with_passwords(people, "wangrb", "chenm", "zhaoy", "lij", "zhangl", "zhoux", "xuw", "hel")


@pytest.fixture
def web(app: App):  # type: ignore[no-untyped-def]
    return create_web_app(app)


def _submit_survey(c, project_id: int, households: str = "36", files=None):  # type: ignore[no-untyped-def]
    files = files if files is not None else [("attach.problem_map", ("问题地图.pdf", PDF, "application/pdf"))]
    return post_form(
        c,
        f"/projects/{project_id}/stages/needs-survey/done",
        f"/projects/{project_id}/stages/needs-survey/done",
        {
            "evidence.households_interviewed": households,
            "evidence.observation_days": "4",
            "note": "已完成入户访谈",
        },
        files=files,
    )


def test_planner_marks_done_with_a_photo_office_returns_planner_resubmits_office_approves(
    web, app: App, project_id: int
) -> None:  # type: ignore[no-untyped-def]
    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    planner = sign_in(web, "wangrb")
    work = visible_text(planner.get("/").text)
    assert "太阳宫北街口袋公园更新" in work and "需求调研" in work and "个工作日" in work
    form = planner.get(f"/projects/{project_id}/stages/needs-survey/done")
    assert 'name="evidence.households_interviewed"' in form.text and 'accept="image/*' in form.text
    done = _submit_survey(
        planner,
        project_id,
        files=[
            ("attach.problem_map", ("问题地图.pdf", PDF, "application/pdf")),
            ("photos", ("现场.jpg", JPEG, "image/jpeg")),
        ],
    )
    assert (
        done.status_code == 303 and done.headers["location"] == f"/projects/{project_id}#stage-needs-survey"
    )
    page = visible_text(planner.get(f"/projects/{project_id}").text)
    assert "待审批" in page and "问题地图.pdf" in page and "现场.jpg" in page and "入户访谈户数 36" in page

    office = sign_in(web, "zhaoy")
    waiting = visible_text(office.get("/").text)
    assert "待我审批" in waiting and "太阳宫北街口袋公园更新" in waiting and "需求调研" in waiting
    decide = office.get(f"/projects/{project_id}/stages/needs-survey/decide")
    assert "入户访谈户数" in visible_text(decide.text) and "问题地图.pdf" in decide.text
    no_reason = post_form(
        office,
        f"/projects/{project_id}/stages/needs-survey/decide",
        f"/projects/{project_id}/stages/needs-survey/return",
        {"reason": "  "},
    )
    assert no_reason.status_code == 400 and "error-reason" in no_reason.text
    returned = post_form(
        office,
        f"/projects/{project_id}/stages/needs-survey/decide",
        f"/projects/{project_id}/stages/needs-survey/return",
        {"reason": "问题地图缺少无障碍设施标注"},
    )
    assert returned.status_code == 303

    mine = visible_text(planner.get("/").text)
    assert "被退回的事项" in mine and "问题地图缺少无障碍设施标注" in mine and "赵阳" in mine
    again = _submit_survey(planner, project_id, files=[])  # the map is kept from the first round
    assert again.status_code == 303
    approved = post_form(
        office,
        f"/projects/{project_id}/stages/needs-survey/decide",
        f"/projects/{project_id}/stages/needs-survey/approve",
        {"comment": "同意"},
    )
    assert approved.status_code == 303
    page = visible_text(office.get(f"/projects/{project_id}").text)
    assert "已通过" in page and "同意" in page

    # the audit log names people and the channel; the acting person came from the session
    from accompany.services.queries import show_project

    events = show_project(app, project_id, with_events=True).events or []
    submitted = [e for e in events if e.kind == "stage.submitted"]
    assert [(e.actor, e.channel) for e in submitted] == [("wangrb", "web"), ("wangrb", "web")]
    decisions = [
        (e.kind, e.actor, e.channel) for e in events if e.kind in ("stage.returned", "stage.approved")
    ]
    assert decisions == [("stage.returned", "zhaoy", "web"), ("stage.approved", "zhaoy", "web")]


def test_a_form_field_cannot_choose_who_acts(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    planner = sign_in(web, "wangrb")
    response = post_form(
        planner,
        f"/projects/{project_id}/stages/needs-survey/done",
        f"/projects/{project_id}/stages/needs-survey/done",
        {"evidence.households_interviewed": "36", "evidence.observation_days": "4", "by": "zhaoy"},
        files=[("attach.problem_map", ("m.pdf", PDF, "application/pdf"))],
    )
    assert response.status_code == 303
    from accompany.services.queries import show_project

    events = show_project(app, project_id, with_events=True).events or []
    assert {e.actor for e in events if e.kind == "stage.submitted"} == {"wangrb"}


def test_refusals_are_shown_next_to_the_field_and_change_nothing(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    planner = sign_in(web, "wangrb")
    before = snapshot(app)
    few = _submit_survey(planner, project_id, households="12")
    assert few.status_code == 422
    text = visible_text(few.text)
    assert "「入户访谈户数」不能少于 30，实际 12" in text
    assert 'id="error-evidence.households_interviewed"' in few.text
    bad_number = _submit_survey(planner, project_id, households="三十")
    assert bad_number.status_code == 400 and 'id="error-evidence.households_interviewed"' in bad_number.text
    disguised = _submit_survey(
        planner, project_id, files=[("attach.problem_map", ("map.pdf", ELF, "application/pdf"))]
    )
    assert disguised.status_code == 400 and 'id="error-attach.problem_map"' in disguised.text
    assert "program" in visible_text(disguised.text) or "程序" in visible_text(disguised.text)
    wrong_type = _submit_survey(
        planner,
        project_id,
        files=[("attach.problem_map", ("map.exe", b"MZ\x90\x00", "application/octet-stream"))],
    )
    assert wrong_type.status_code == 400
    too_long = post_form(
        planner,
        f"/projects/{project_id}/stages/needs-survey/extension",
        f"/projects/{project_id}/stages/needs-survey/extension",
        {"days": "five", "reason": "等待资料"},
    )
    assert too_long.status_code == 400 and 'id="error-days"' in too_long.text
    assert snapshot(app) == before


def test_an_oversized_upload_is_refused_before_it_is_read(app: App, project_id: int) -> None:
    small = app.via(app.origin)
    small.settings = app.settings.model_copy(update={"upload_max_mb": 1})
    web = create_web_app(small)
    planner = sign_in(web, "wangrb")
    before = snapshot(app)
    big = b"%PDF-1.4" + b"0" * (6 * 1024 * 1024)
    response = _submit_survey(
        planner, project_id, files=[("attach.problem_map", ("big.pdf", big, "application/pdf"))]
    )
    assert response.status_code == 413 and "上传内容过大" in response.text
    over_one = b"%PDF-1.4" + b"0" * (1024 * 1024 + 10)
    response = _submit_survey(
        planner, project_id, files=[("attach.problem_map", ("big.pdf", over_one, "application/pdf"))]
    )
    assert response.status_code == 400 and "上限为 1 MB" in visible_text(response.text)
    assert snapshot(app) == before


def test_another_streets_project_is_not_found_and_its_name_does_not_leak(
    web, app: App, project_id: int
) -> None:  # type: ignore[no-untyped-def]
    other_street = sign_in(web, "lij")  # 酒仙桥街道's street office
    other_district = sign_in(web, "xuw")  # 东城区
    for c in (other_street, other_district):
        for url in (
            f"/projects/{project_id}",
            f"/projects/{project_id}/stages/needs-survey/decide",
            f"/projects/{project_id}/stages/needs-survey/done",
        ):
            response = c.get(url)
            assert response.status_code == 404, url
            assert "太阳宫北街口袋公园更新" not in response.text
        assert "太阳宫北街口袋公园更新" not in c.get("/projects").text
    for junk in ("999999", "0", "-1", "abc", "99999999999999999999999"):
        assert other_street.get(f"/projects/{junk}").status_code == 404


def test_a_planner_cannot_approve_and_an_office_cannot_mark_done(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    planner = sign_in(web, "wangrb")
    assert _submit_survey(planner, project_id).status_code == 303
    before = snapshot(app)
    response = post_form(planner, "/", f"/projects/{project_id}/stages/needs-survey/approve", {})
    assert response.status_code == 403 and 'role="alert"' in response.text
    assert 'action="/projects/' not in response.text.split("<footer")[0]  # no decision form for a planner
    office = sign_in(web, "zhaoy")
    response = post_form(
        office, "/", f"/projects/{project_id}/stages/needs-list/done", {"evidence.needs_items": "3"}
    )
    assert response.status_code == 403
    assert snapshot(app) == before


def test_text_from_people_is_shown_as_text(web, app: App) -> None:  # type: ignore[no-untyped-def]
    hostile = '<script>alert("x")</script>[/bold]=HYPERLINK("http://e")'
    outcome = commands.start_project(
        app, start_command(name=hostile, community="<img src=x onerror=alert(1)>")
    )
    pid = outcome.project_id
    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    planner = sign_in(web, "wangrb")
    _submit_survey(planner, pid)
    office = sign_in(web, "zhaoy")
    post_form(
        office,
        f"/projects/{pid}/stages/needs-survey/decide",
        f"/projects/{pid}/stages/needs-survey/return",
        {"reason": "<b>补充</b><script>x()</script>"},
    )
    for c, url in (
        (planner, "/"),
        (planner, f"/projects/{pid}"),
        (office, "/projects"),
        (office, f"/projects/{pid}"),
    ):
        page = c.get(url).text
        assert "<script>alert" not in page and "<img src=x" not in page and "<b>补充</b>" not in page
        assert "&lt;script&gt;" in page
    # control characters are refused at the door, with one line naming the field
    coordinator = sign_in(web, "zhangl")
    bell = post_form(
        coordinator,
        "/projects/new",
        "/projects/new",
        {
            "name": "口袋\x07公园",
            "street": "taiyanggong",
            "community": "x",
            "planner": "wangrb",
            "start": "2026-03-02",
            "deadline.construction-accompany": "2026-10-30",
        },
    )
    assert bell.status_code == 400 and "「项目名称」含有控制字符" in visible_text(bell.text)


def test_coordinator_starts_a_project_and_filters_the_portfolio(web, app: App) -> None:  # type: ignore[no-untyped-def]
    coordinator = sign_in(web, "zhangl")
    form = coordinator.get("/projects/new")
    assert 'name="deadline.construction-accompany"' in form.text and "王若冰" in form.text
    # the process by its name and version, as people name it (not accompany-service@3)
    assert "责任规划师陪伴式服务 · 第 3 版" in form.text
    assert "accompany-service@" not in visible_text(form.text)
    before = snapshot(app)
    missing = post_form(
        coordinator,
        "/projects/new",
        "/projects/new",
        {
            "name": " ",
            "street": "taiyanggong",
            "community": "x",
            "planner": "wangrb",
            "start": "2026-03-02",
            "deadline.construction-accompany": "2026-10-30",
        },
    )
    assert (
        missing.status_code == 400
        and 'id="error-name"' in missing.text
        and "请填写项目名称" in visible_text(missing.text)
    )
    wrong_planner = post_form(
        coordinator,
        "/projects/new",
        "/projects/new",
        {
            "name": "新项目",
            "street": "taiyanggong",
            "community": "x",
            "planner": "hel",
            "start": "2026-03-02",
            "deadline.construction-accompany": "2026-10-30",
        },
    )
    assert wrong_planner.status_code == 400 and 'id="error-planner"' in wrong_planner.text
    bad_date = post_form(
        coordinator,
        "/projects/new",
        "/projects/new",
        {
            "name": "新项目",
            "street": "taiyanggong",
            "community": "x",
            "planner": "wangrb",
            "start": "2026-02-30",
            "deadline.construction-accompany": "2026-10-30",
        },
    )
    assert bad_date.status_code == 400 and 'id="error-start"' in bad_date.text
    assert snapshot(app) == before
    started = post_form(
        coordinator,
        "/projects/new",
        "/projects/new",
        {
            "name": "太阳宫中路口袋花园",
            "street": "taiyanggong",
            "community": "太阳宫中路社区",
            "planner": "wangrb",
            "start": "2026-03-02",
            "deadline.construction-accompany": "2026-10-30",
            "by": "liuq",  # ignored: the coordinator is the one signed in
        },
    )
    assert started.status_code == 303
    page = visible_text(coordinator.get(started.headers["location"]).text)
    assert "太阳宫中路口袋花园" in page and "协调人 张磊" in page
    listing = visible_text(coordinator.get("/projects", params={"q": "中路"}).text)
    assert "太阳宫中路口袋花园" in listing and "共 1 个项目" in listing
    assert "共 0 个项目" in visible_text(coordinator.get("/projects", params={"state": "completed"}).text)
    assert "共 1 个项目" in visible_text(coordinator.get("/projects", params={"phase": "before"}).text)


def test_bulk_import_upload_shows_the_bad_rows(web, app: App) -> None:  # type: ignore[no-untyped-def]
    coordinator = sign_in(web, "zhangl")
    bad = (
        "项目名称,区,街道,社区,责任规划师,启动日期,deadline:construction-accompany\n"
        "甲,朝阳区,太阳宫街道,太阳宫北社区,wangrb,2026-03-02,2026-10-30\n"
        "乙,朝阳区,太阳宫街道,太阳宫北社区,nobody,2026-13-02,2026-10-30\n"
    ).encode()
    before = snapshot(app)
    response = post_form(
        coordinator, "/projects/import", "/projects/import", {}, files=[("file", ("p.csv", bad, "text/csv"))]
    )
    assert response.status_code == 400
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", response.text)
    # problems are named by the file's own headers
    assert {(r[0], r[1]) for r in rows} >= {("3", "责任规划师"), ("3", "启动日期")}
    assert snapshot(app) == before
    good = bad.decode().splitlines()[:2]
    response = post_form(
        coordinator,
        "/projects/import",
        "/projects/import",
        {},
        files=[("file", ("p.csv", "\n".join(good).encode(), "text/csv"))],
    )
    assert response.status_code == 200 and "已导入 1 个项目" in visible_text(response.text)


def test_bulk_import_tells_rows_as_the_file_numbers_them_and_keeps_the_check_box(web, app: App) -> None:  # type: ignore[no-untyped-def]
    coordinator = sign_in(web, "zhangl")
    header = "项目名称,区,街道,社区,责任规划师,启动日期,deadline:construction-accompany,\n"
    good = "甲,朝阳区,太阳宫街道,太阳宫北社区,wangrb,2026-03-02,2026-10-30,\n"
    short = "乙,朝阳区,,太阳宫北社区\n"  # line 5, after a blank line; 街道 empty, the rest missing
    before = snapshot(app)

    def upload(body: str, **data: str):  # type: ignore[no-untyped-def]
        files = [("file", ("p.csv", body.encode(), "text/csv"))]
        return post_form(coordinator, "/projects/import", "/projects/import", data, files=files)

    checkbox = re.compile(r'<input type="checkbox" name="dry_run" value="1"( checked)?>')
    refused = upload(header + good + "\n" + "\n" + short, dry_run="1")
    assert refused.status_code == 400
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", refused.text)
    assert rows == [
        ("5", "街道", "「街道」为空"),
        ("5", "责任规划师", "「责任规划师」为空"),
        ("5", "启动日期", "「启动日期」为空"),
    ]
    assert checkbox.search(refused.text).group(1) == " checked"  # type: ignore[union-attr]

    only_header = upload(header, dry_run="1")
    assert only_header.status_code == 400 and 'id="error-file"' in only_header.text
    assert "文件中只有表头，没有任何项目：未导入任何项目" in visible_text(only_header.text)
    assert "全部 0 行" not in visible_text(only_header.text)

    checked = upload(header + good, dry_run="1")
    assert checked.status_code == 200 and "仅检查" in visible_text(checked.text)
    assert checkbox.search(checked.text).group(1) == " checked"  # type: ignore[union-attr]
    assert snapshot(app) == before
    imported = upload(header + good)
    assert imported.status_code == 200 and "已导入 1 个项目" in visible_text(imported.text)
    assert checkbox.search(imported.text).group(1) is None  # type: ignore[union-attr]


def test_district_sees_the_quarter_and_downloads_reports(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    district = sign_in(web, "zhoux")
    page = visible_text(district.get("/").text)
    assert "2026年第一季度" in page and "按时率" in page and "太阳宫街道" in page
    reports = district.get("/reports")
    assert reports.status_code == 200 and "季度报表" in reports.text
    xlsx = district.get("/reports/download", params={"quarter": "2026Q1", "format": "xlsx"})
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames[0] == "汇总"
    csv = district.get("/reports/download", params={"quarter": "2026Q1", "format": "csv"})
    assert csv.content.startswith("\ufeff".encode()) and "层级".encode() in csv.content[:200]
    # like the CLI's: the cut-off and the inputs' checksum travel with the figures
    assert "数据截止（北京时间）" in csv.text and "输入校验和 (SHA-256)" in csv.text
    html = district.get("/reports/download", params={"quarter": "2026Q1", "format": "html"})
    assert "<svg" in html.text and "script-src" not in html.headers["content-security-policy"]
    assert district.get("/reports/download", params={"quarter": "0000Q1", "format": "xlsx"}).status_code in (
        200,
        400,
    )
    assert district.get("/reports/download", params={"quarter": "2026Q1", "format": "exe"}).status_code == 400
    assert district.get("/reports", params={"street": "dongsi"}).status_code == 404


def test_reports_name_quarters_as_readers_do(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    district = sign_in(web, "zhoux")
    reports = district.get("/reports")
    text = visible_text(reports.text)
    assert "2026年第一季度" in text and "2025年第四季度" in text and "2026Q1" not in text
    # the URL form stays: the choices' values and the download links
    assert 'value="2026Q1"' in reports.text and "quarter=2026Q1&amp;" in reports.text
    # no link from the reports page back to itself
    assert 'href="/reports?quarter=' not in reports.text
    # the work page's overview does lead to the reports
    assert 'href="/reports?quarter=2026Q1"' in district.get("/").text
    html = district.get("/reports/download", params={"quarter": "2026Q1", "format": "html"})
    assert "<h1>陪伴式服务季度合规报告 2026年第一季度</h1>" in html.text
    csv = district.get("/reports/download", params={"quarter": "2026Q1", "format": "csv"})
    assert "季度,2026年第一季度" in csv.text
    # file names keep the compact form
    assert "2026Q1" in csv.headers["content-disposition"]
    district.cookies.set(LANG_COOKIE, "en")
    english = visible_text(district.get("/reports").text)
    assert "2026 Q1" in english and "2026Q1" not in english


def test_a_report_download_without_a_quarter_asks_for_one(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    """It said 输入有误：quarter (the parameter's name) when the quarter was left out."""
    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    district = sign_in(web, "zhoux")
    for params in ({"format": "csv"}, {"quarter": "", "format": "csv"}):
        missing = district.get("/reports/download", params=params)
        text = visible_text(missing.text)
        assert missing.status_code == 400 and "请选择报表的季度" in text, text
        assert "quarter" not in text


def test_another_street_of_the_district_is_refused_by_its_name(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    """zhaoy (太阳宫街道) asking for jiuxianqiao, a street of her district, read
    没有名为「jiuxianqiao」的街道: untrue, and an id. A street of another district
    stays unknown; a quarter out of range is listed as the page names quarters."""
    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    office = sign_in(web, "zhaoy")
    for address in ("/reports", "/reports/download"):
        other = office.get(address, params={"quarter": "2026Q1", "street": "jiuxianqiao", "format": "csv"})
        text = visible_text(other.text)
        assert other.status_code == 403, text
        assert "您只能查看太阳宫街道的报表，不能查看酒仙桥街道的报表" in text and "jiuxianqiao" not in text
    assert office.get("/reports", params={"quarter": "2026Q1", "street": "taiyanggong"}).status_code == 200
    assert office.get("/reports", params={"street": "dongsi"}).status_code == 404
    out_of_range = office.get("/reports", params={"quarter": "2024Q1"})
    text = visible_text(out_of_range.text)
    assert out_of_range.status_code == 400, text
    assert "2024年第一季度不在可选季度之内（可选：2026年第一季度、2025年第四季度、" in text, text
    assert "2026Q1" not in text and "2025Q4" not in text
    office.cookies.set(LANG_COOKIE, "en")
    english = visible_text(office.get("/reports", params={"quarter": "2024Q1"}).text)
    assert "2024 Q1 is not one of the quarters offered (2026 Q1, 2025 Q4, " in english, english


def test_attachments_download_only_within_scope(web, app: App, project_id: int, evidence_file) -> None:  # type: ignore[no-untyped-def]
    from accompany.services.commands import AttachmentInput
    from accompany.services.queries import show_project

    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    commands.complete_stage(
        app,
        CompleteStage(
            project_id=project_id,
            stage="needs-survey",
            by="wangrb",
            evidence={"households_interviewed": "36", "observation_days": "4"},
            attachments=[AttachmentInput(key="problem_map", path=str(evidence_file))],
        ),
    )
    [attachment] = show_project(app, project_id).stages[0].attachments
    inside = sign_in(web, "zhaoy").get(f"/attachments/{attachment.id}")
    assert inside.status_code == 200 and inside.content == evidence_file.read_bytes()
    assert "sandbox" in inside.headers["content-security-policy"]
    assert "filename*=UTF-8''%E9%97%AE" in inside.headers["content-disposition"]
    assert sign_in(web, "xuw").get(f"/attachments/{attachment.id}").status_code == 404
    assert client(web).get(f"/attachments/{attachment.id}").status_code == 303


def test_english_is_one_click_away(web) -> None:  # type: ignore[no-untyped-def]
    planner = sign_in(web, "wangrb")
    switched = post_form(planner, "/", "/lang", {"lang": "en", "next": "/projects"})
    assert switched.status_code == 303 and switched.headers["location"] == "/projects"
    page = visible_text(planner.get("/").text)
    assert "My work" in page and "In progress" in page and "我的待办" not in page
    post_form(planner, "/", "/lang", {"lang": "zh", "next": "/"})
    assert "我的待办" in planner.get("/").text


def test_approvals_for_two_levels_reach_the_district(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    """completion-acceptance waits for the street office, then the district: each
    sees it in "my work" at its turn."""
    from accompany.services.queries import show_project

    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    district = sign_in(web, "zhoux")
    assert "暂无待您审批的事项" in visible_text(district.get("/").text)
    # the district person cannot decide at the street-office level
    planner = sign_in(web, "wangrb")
    _submit_survey(planner, project_id)
    response = post_form(district, "/", f"/projects/{project_id}/stages/needs-survey/approve", {})
    assert response.status_code == 403
    assert show_project(app, project_id).stages[0].state == "submitted"
    commands.decide_approval(
        app, DecideApproval(project_id=project_id, stage="needs-survey", by="zhaoy", decision="approve")
    )


def test_downloaded_reports_carry_no_formulas(web, app: App) -> None:  # type: ignore[no-untyped-def]
    """The web download goes through the same writers: a project named as a formula
    reaches the district as text."""
    import csv
    import zipfile

    hostile = '=HYPERLINK("http://x","y")'
    commands.start_project(app, start_command(name=hostile))
    app.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]
    district = sign_in(web, "zhoux")
    got = district.get("/reports/download", params={"quarter": "2026Q1", "format": "csv"})
    cells = [c for row in csv.reader(io.StringIO(got.content.decode("utf-8-sig"))) for c in row]
    assert "'" + hostile in cells and hostile not in cells
    xlsx = district.get("/reports/download", params={"quarter": "2026Q1", "format": "xlsx"})
    with zipfile.ZipFile(io.BytesIO(xlsx.content)) as archive:
        sheets = [archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert not any("<f>" in s or "<f " in s for s in sheets)
    book = load_workbook(io.BytesIO(xlsx.content))
    cells_x = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert hostile in {c.value for c in cells_x} and not [c for c in cells_x if c.data_type == "f"]


def test_the_audit_log_shows_when_a_backfill_was_recorded(web, app: App) -> None:  # type: ignore[no-untyped-def]
    """An operator's back-fill (the CLI's --now) reads with both times on the project
    page."""
    from accompany.clock import FixedClock

    app.wall_clock = FixedClock(parse_moment("2026-11-26T10:03"))
    project_id = commands.start_project(app, start_command()).project_id  # dated 2026-03-02 09:00
    planner = sign_in(web, "wangrb")
    page = visible_text(planner.get(f"/projects/{project_id}").text)
    assert "2026-03-02 09:00 （2026-11-26 10:03 补记）" in page


def _pause_and_resume(app: App, project_id: int, times: int) -> None:
    from accompany.services.commands import PauseClock, ResumeClock

    for n in range(times):
        commands.pause_clock(
            app, PauseClock(project_id=project_id, stage="needs-survey", by="liuq", reason=f"等待意见{n}")
        )
        commands.resume_clock(app, ResumeClock(project_id=project_id, stage="needs-survey", by="liuq"))


def _audit_rows(html: str) -> list[str]:
    table = html.split('<table class="striped audit-log">', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr><td[ >].*?</tr>", table, flags=re.S)


def test_the_project_page_shows_the_newest_events_and_pages_through_the_rest(web, app: App) -> None:  # type: ignore[no-untyped-def]
    """A long audit log: the project page shows the newest 50 events (newest first)
    and links to the log, whose second page holds the older ones."""
    from accompany.services.queries import show_project

    app.clock.moment = parse_moment("2026-03-10T10:00")  # type: ignore[attr-defined]
    project_id = commands.start_project(app, start_command()).project_id
    assert project_id is not None
    _pause_and_resume(app, project_id, 30)
    everything = show_project(app, project_id, with_events=True).events
    assert everything is not None and len(everything) > 60
    total = len(everything)
    started = "太阳宫北街口袋公园更新，太阳宫北社区"  # the first event's summary: the project started
    office = sign_in(web, "zhangl")
    html = office.get(f"/projects/{project_id}").text
    text = visible_text(html)
    assert f"审计日志（{total} 条）" in text and f"共 {total} 条记录，这里显示最新的 50 条" in text
    rows = _audit_rows(html)
    assert len(rows) == 50
    assert started not in visible_text("".join(rows))
    assert f'href="/projects/{project_id}/events?page=2"' in html
    first = office.get(f"/projects/{project_id}/events")
    assert first.status_code == 200 and _audit_rows(first.text) == rows
    assert f"共 {total} 条记录" in visible_text(first.text) and 'href="?page=2"' in first.text
    second = office.get(f"/projects/{project_id}/events", params={"page": "2"})
    older = _audit_rows(second.text)
    assert len(older) == total - 50 and started in visible_text("".join(older))
    assert "显示第 51–" in visible_text(second.text) and 'href="?page=1"' in second.text
    assert 'href="?page=3"' not in second.text
    # the log is as private as the project
    assert sign_in(web, "xuw").get(f"/projects/{project_id}/events").status_code == 404
    assert office.get(f"/projects/{project_id}/events", params={"page": "x"}).status_code == 200


def test_the_district_figures_follow_the_districts_own_events(web, app: App, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The district's figures are built once and kept while nothing changes them: a
    sign-in or an event in another district leaves them as they are; an event in the
    district, or the next day, rebuilds them."""
    from accompany.services import reports, worklists
    from accompany.services.commands import PauseClock

    worklists._OVERVIEWS.clear()
    builds: list[str] = []
    replay = reports.quarterly_report

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        builds.append(kwargs.get("district") or "")
        return replay(*args, **kwargs)

    monkeypatch.setattr(reports, "quarterly_report", counted)
    clock = app.clock
    clock.moment = parse_moment("2026-01-05T09:00")  # type: ignore[attr-defined]
    here = commands.start_project(app, start_command(start=dt.date(2026, 1, 5))).project_id
    elsewhere = commands.start_project(
        app,
        start_command(
            name="东四胡同微更新",
            district="dongcheng",
            street="dongsi",
            planner="hel",
            by="maf",
            start=dt.date(2026, 1, 5),
        ),
    ).project_id
    assert here is not None and elsewhere is not None
    clock.moment = parse_moment("2026-03-30T09:00")  # type: ignore[attr-defined]
    district = sign_in(web, "zhoux")

    def figures() -> str:
        page = district.get("/")
        assert page.status_code == 200
        text = visible_text(page.text)
        assert "2026年第一季度" in text and "按时率" in text
        return text

    first = figures()
    assert builds == ["chaoyang"] and "1 当前逾期" in first
    clock.moment = parse_moment("2026-03-30T09:10")  # type: ignore[attr-defined]
    assert figures() == first and len(builds) == 1  # kept (figures as of 09:00)
    sign_in(web, "wangrb")  # a sign-in is recorded, but changes no figure
    commands.pause_clock(app, PauseClock(project_id=elsewhere, stage="needs-survey", by="maf", reason="等待"))
    clock.moment = parse_moment("2026-03-30T09:20")  # type: ignore[attr-defined]
    assert figures() == first and len(builds) == 1  # another district's event
    # the district's overdue stage done and approved: not overdue any more
    _submit_survey(sign_in(web, "wangrb"), here)
    commands.decide_approval(
        app, DecideApproval(project_id=here, stage="needs-survey", by="zhaoy", decision="approve")
    )
    clock.moment = parse_moment("2026-03-30T09:30")  # type: ignore[attr-defined]
    after = figures()
    assert len(builds) == 2 and "0 当前逾期" in after
    assert figures() == after and len(builds) == 2
    clock.moment = parse_moment("2026-03-31T10:00")  # type: ignore[attr-defined]
    district = sign_in(web, "zhoux")  # the session of yesterday has expired
    figures()
    assert len(builds) == 3  # the next day: overdue counts move without any event


def test_the_coordinators_list_pages_and_keeps_its_filters(web, app: App) -> None:  # type: ignore[no-untyped-def]
    """50 projects a page, newest first, the total shown; the pager keeps the search
    and the filters."""
    for n in range(53):
        commands.start_project(app, start_command(name=f"口袋公园{n:02d}号"))
    commands.start_project(app, start_command(name="太阳宫健身步道"))
    coordinator = sign_in(web, "zhangl")
    first = coordinator.get("/", params={"q": "口袋", "state": "active"})
    text = visible_text(first.text)
    assert "共 53 个项目" in text and "显示第 1–50 个" in text
    assert "口袋公园52号" in text and "口袋公园02号" not in text and "健身步道" not in text
    assert "王若冰" in text and "wangrb" not in text  # names, not ids
    older = re.search(r'href="\?([^"]*offset=50[^"]*)"', first.text)
    assert older is not None
    link = older.group(1).replace("&amp;", "&")
    assert "q=%E5%8F%A3%E8%A2%8B" in link and "state=active" in link
    second = coordinator.get("/?" + link)
    text = visible_text(second.text)
    assert "共 53 个项目" in text and "显示第 51–53 个" in text
    assert "口袋公园02号" in text and "口袋公园00号" in text and "口袋公园52号" not in text
    assert 'href="?q=%E5%8F%A3%E8%A2%8B&amp;state=active&amp;offset=0"' in second.text  # back, filters kept
    everything = visible_text(coordinator.get("/").text)
    assert "共 54 个项目" in everything and "太阳宫健身步道" in everything


def test_a_project_whose_start_day_is_to_come_says_when_it_begins(web, app: App) -> None:  # type: ignore[no-untyped-def]
    app.clock.moment = parse_moment("2026-03-02T09:00")  # type: ignore[attr-defined]
    project_id = commands.start_project(app, start_command(start=dt.date(2026, 3, 9))).project_id
    c = sign_in(web, "zhangl")
    assert "将于 2026-03-09 启动" in visible_text(c.get("/").text)
    assert "将于 2026-03-09 启动" in visible_text(c.get(f"/projects/{project_id}").text)
    app.clock.moment = parse_moment("2026-03-09T09:00")  # type: ignore[attr-defined]
    from accompany.services.commands import begin_due_projects

    assert begin_due_projects(app) == 1
    c = sign_in(web, "zhangl")  # a week later: a new session
    assert "将于 2026-03-09 启动" not in visible_text(c.get("/").text)
    assert "需求调研" in visible_text(c.get("/").text)
