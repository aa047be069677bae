"""The quarterly report's residents' participation (SQLite and PostgreSQL): a project
with a register whose residents answered the needs survey, commented during the 公示,
voted and answered the satisfaction survey — all through the services — shows the
households reached per phase, the comments and the Art. 278 result in the JSON, the
CSV, the HTML and the 居民参与 sheet; activity of another quarter counts there."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path

from openpyxl import load_workbook

from accompany.bootstrap import App
from accompany.clock import parse_moment
from accompany.models.report import Quarter
from accompany.reporting import render_csv_with_about, render_html, render_json, write, write_xlsx
from accompany.services import households
from accompany.services.comments import answer_comment, leave_comment
from accompany.services.consent import cast_ballot
from accompany.services.needs import edit_menu, menu_view, record_answer
from accompany.services.public import set_published
from accompany.services.reports import quarterly_report
from accompany.services.satisfaction import give_answer

from .test_comments import open_notice
from .test_consent import HEADER, ROWS, codes, open_consent
from .test_satisfaction import open_survey


def _residents_take_part(app: App, project_id: int, clock) -> list[str]:  # type: ignore[no-untyped-def]
    """Q1 2026: needs answers (3 homes), comments (2 homes, one answered), ballots
    (3 homes, one replaced); Q2: satisfaction answers (2 homes)."""
    households.load_register(app, project_id, HEADER, ROWS, by="zhangl")  # 300 m², 6 owners
    set_published(app, project_id, by="zhangl")
    home = codes(app, project_id)
    edit_menu(app, project_id, by="zhangl")
    item = menu_view(app, project_id).items[0].id
    for code in home[:3]:
        record_answer(app, project_id, code, [item])
    record_answer(app, project_id, home[0], [item], comment="改一下")  # a change: still one household
    open_notice(app, project_id)
    first = leave_comment(app, project_id, home[0], "comment", '=HYPERLINK("x") 座椅太少')
    leave_comment(app, project_id, home[0], "comment", "再加一条")
    leave_comment(app, project_id, home[1], "objection", "不同意砍树")
    answer_comment(app, project_id, first.comment_id, "已采纳", by="wangrb")
    open_consent(app, project_id)
    cast_ballot(app, project_id, home[0], "agree")
    cast_ballot(app, project_id, home[1], "agree")
    cast_ballot(app, project_id, home[3], "agree")
    cast_ballot(app, project_id, home[3], "disagree")  # replaces: counted once
    clock.moment = parse_moment("2026-04-10T09:00")
    open_survey(app, project_id)
    give_answer(app, project_id, home[2], 5, 4, 4)
    give_answer(app, project_id, home[3], 3, 3, 3)
    return home


def test_the_report_counts_residents_participation(
    people: App,
    project_id: int,
    clock,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    plain = quarterly_report(people, Quarter.parse("2026Q1"))
    assert plain.participation == [] and "participation" not in json.loads(render_json(plain))
    _residents_take_part(people, project_id, clock)

    report = quarterly_report(people, Quarter.parse("2026Q1"))
    assert report.meta["inputs_sha256"] != plain.meta["inputs_sha256"]
    data = json.loads(render_json(report))["participation"]
    assert [r["level"] for r in data["rows"]] == ["district", "street", "project"]
    project = data["rows"][-1]
    assert project == {
        "level": "project",
        "project_id": project_id,
        "project": "太阳宫北街口袋公园更新",
        "district": "chaoyang",
        "street": "taiyanggong",
        "households": 4,
        "needs_households": 3,
        "needs_rate_pct": 75.0,
        "during_households": 3,  # homes 0 and 1 commented, 0, 1 and 3 voted
        "during_rate_pct": 75.0,
        "satisfaction_households": 0,  # answered in Q2
        "satisfaction_rate_pct": 0.0,
        "comments": 2,
        "objections": 1,
        "answered": 1,
        "consent_rule": "major",
        "consent_ballots": 3,
        "consent_passed": False,
        "participating_area_pct": 73.3,  # 220 / 300 m²
        "participating_owners_pct": 66.7,  # 4 / 6 owners
        "agreeing_area_pct": 54.5,  # 120 / 220 m²
        "agreeing_owners_pct": 50.0,  # 2 / 4 owners
    }
    assert data["overall"]["projects"] == 1 and data["overall"]["consent_passed"] == 0
    assert data["rows"][1]["street"] == "taiyanggong" and data["rows"][1]["households"] == 4

    path = tmp_path / "q1.xlsx"
    write_xlsx(report, path, "zh")
    # re-pinned when the headers began to say what each figure counts (the quarter's
    # own or every ballot up to the cut-off) and a note began to follow the table after
    # a blank row: the table's rows are the ones before them, the figures unchanged
    sheet = list(load_workbook(path)["居民参与"].iter_rows(values_only=True))
    rows, note = sheet[:-2], sheet[-1][0]
    assert rows[0][:8] == (
        "层级",
        "区",
        "街道",
        "项目编号",
        "项目",
        "登记户数（截至数据截止）",
        "问需答卷户数（本季度）",
        "问需回应率(%)（本季度）",
    )
    assert note.startswith("注：")
    assert [r[0] for r in rows[1:]] == ["全部", "区", "街道", "项目"]
    assert rows[-1][3:] == (
        project_id,
        "太阳宫北街口袋公园更新",
        4,
        3,
        75.0,
        3,
        75.0,
        0,
        0.0,
        2,
        1,
        1,
        "重大事项（双四分之三）",
        3,
        73.3,
        66.7,
        54.5,
        50.0,
        "未通过",
    )
    assert rows[1][-1] == "0/1 通过"
    write_xlsx(report, tmp_path / "q1-en.xlsx", "en")
    assert "Residents' participation" in load_workbook(tmp_path / "q1-en.xlsx").sheetnames

    html = render_html(report, "zh")
    assert "居民参与 (1)" in html and "未通过" in html
    assert "HYPERLINK" not in render_json(report)  # counts only: no comment text
    text = render_csv_with_about(report, "en")
    table = list(csv.reader(io.StringIO(text.split("\n\n")[1])))
    assert table[0][:2] == ["level", "district"] and [r[0] for r in table[1:]] == [
        "all",
        "district",
        "street",
        "project",
    ]
    assert table[-1][-1] == "not passed"
    write(report, "csv", tmp_path / "q1.csv", "zh")
    assert (tmp_path / "q1-participation.csv").read_text(encoding="utf-8-sig").startswith("层级,区")

    # Q2 (running): the satisfaction answers; the consent still as of the cut-off
    clock.moment = parse_moment("2026-04-10T10:00")  # the cut-off (now) is after the answers
    second = quarterly_report(people, Quarter.parse("2026Q2"))
    (row,) = [r for r in second.participation if r["level"] == "project"]
    assert (row["needs_households"], row["during_households"], row["comments"]) == (0, 0, 0)
    assert row["satisfaction_households"] == 2 and row["satisfaction_rate_pct"] == 50.0
    assert row["consent_ballots"] == 3 and row["agreeing_owners_pct"] == 50.0

    # another district's report has no residents' data: no section, no sheet
    other = quarterly_report(people, Quarter.parse("2026Q1"), district="dongcheng")
    assert other.participation == [] and other.participation_overall == {}
    write_xlsx(other, tmp_path / "other.xlsx", "zh")
    assert "居民参与" not in load_workbook(tmp_path / "other.xlsx").sheetnames


def test_a_hostile_project_name_stays_text(people: App, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from accompany.services import commands

    from ..conftest import start_command

    name = '=HYPERLINK("http://x","点我")'
    project_id = commands.start_project(people, start_command(name=name)).project_id
    assert project_id is not None
    households.load_register(people, project_id, HEADER, ROWS, by="zhangl")
    edit_menu(people, project_id, by="zhangl")
    record_answer(
        people,
        project_id,
        codes(people, project_id)[0],
        [menu_view(people, project_id).items[0].id],
        by="wangrb",
    )
    clock.moment = parse_moment("2026-03-02T10:00")
    report = quarterly_report(people, Quarter.parse("2026Q1"))
    assert report.participation_overall["needs_households"] == 1
    path = tmp_path / "hostile.xlsx"
    write_xlsx(report, path, "zh")
    cells = [c for row in load_workbook(path)["居民参与"].iter_rows() for c in row]
    (cell,) = [c for c in cells if c.value == name]
    assert cell.data_type == "s" and cell.quotePrefix
    assert not [c for c in cells if c.data_type == "f"]
    assert f"'{name}" in render_csv_with_about(report, "zh").replace('""', '"')


#: the participation headers by what they count (models/participation.py): the
#: quarter's own activity, or every ballot up to the cut-off, or the register then
QUARTER_HEADERS = {
    "zh": [
        "问需答卷户数（本季度）",
        "问需回应率(%)（本季度）",
        "问计意见或表决户数（本季度）",
        "问计参与率(%)（本季度）",
        "问效答卷户数（本季度）",
        "问效回应率(%)（本季度）",
        "意见条数（本季度）",
        "异议条数（本季度）",
        "已答复条数（本季度）",
    ],
    "en": [
        "问需: households answered (this quarter)",
        "问需 response rate % (this quarter)",
        "问计: households commented or voted (this quarter)",
        "问计 response rate % (this quarter)",
        "问效: households answered (this quarter)",
        "问效 response rate % (this quarter)",
        "comments (this quarter)",
        "objections (this quarter)",
        "answered (this quarter)",
    ],
}
CUMULATIVE_HEADERS = {
    "zh": [
        "参与表决户数（截至数据截止累计）",
        "参与表决面积占总面积(%)（截至数据截止累计）",
        "参与表决人数占总人数(%)（截至数据截止累计）",
        "同意面积占参与面积(%)（截至数据截止累计）",
        "同意人数占参与人数(%)（截至数据截止累计）",
        "表决结果（截至数据截止累计）",
    ],
    "en": [
        "households voted (cumulative to the cut-off)",
        "participating area % of total (cumulative to the cut-off)",
        "participating owners % of total (cumulative to the cut-off)",
        "agreeing area % of participating (cumulative to the cut-off)",
        "agreeing owners % of participating (cumulative to the cut-off)",
        "consent verdict (cumulative to the cut-off)",
    ],
}
HEADERS = {
    "zh": [
        "层级",
        "区",
        "街道",
        "项目编号",
        "项目",
        "登记户数（截至数据截止）",
        *QUARTER_HEADERS["zh"],
        "表决规则",
        *CUMULATIVE_HEADERS["zh"],
    ],
    "en": [
        "level",
        "district",
        "street",
        "project",
        "name",
        "households in the register (at the cut-off)",
        *QUARTER_HEADERS["en"],
        "consent rule",
        *CUMULATIVE_HEADERS["en"],
    ],
}
NOTES = {"zh": ("“本季度”", "“截至数据截止累计”"), "en": ("“this quarter”", "“cumulative to the cut-off”")}


def test_the_headers_say_which_figures_are_the_quarters_and_which_run_to_the_cut_off(
    people: App,
    project_id: int,
    clock,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    """In 2026Q2 the residents only answered the satisfaction survey: the ballots of Q1
    still count in the consent columns (everything up to the cut-off) while the
    comments and 问计 households of Q1 do not (the quarter's own) — each header of the
    sheet, the HTML and the CSV says which, and a note under the sheet's and the
    HTML's table says what the two mean. The figures and the JSON stay as they were."""
    _residents_take_part(people, project_id, clock)
    clock.moment = parse_moment("2026-07-01T09:00")
    report = quarterly_report(people, Quarter.parse("2026Q2"))
    export = render_json(report)
    (row,) = [r for r in json.loads(export)["participation"]["rows"] if r["level"] == "project"]
    assert (row["comments"], row["during_households"], row["satisfaction_households"]) == (0, 0, 2)
    assert row["consent_ballots"] == 3  # cast in Q1

    for lang in ("zh", "en"):
        write_xlsx(report, tmp_path / f"q2-{lang}.xlsx", lang)
        book = load_workbook(tmp_path / f"q2-{lang}.xlsx")
        sheet = list(
            book["居民参与" if lang == "zh" else "Residents' participation"].iter_rows(values_only=True)
        )
        assert list(sheet[0]) == HEADERS[lang], lang
        project = dict(zip(sheet[0], next(r for r in sheet if r[3] == project_id), strict=True))
        assert project[CUMULATIVE_HEADERS[lang][0]] == 3  # Q1's ballots, counted up to the cut-off
        assert project[QUARTER_HEADERS[lang][2]] == 0  # nobody commented or voted in Q2
        assert project[QUARTER_HEADERS[lang][6]] == 0 and project[QUARTER_HEADERS[lang][4]] == 2
        # the note: under the table, after a blank row, alone on its row
        assert all(cell is None for cell in sheet[-2])
        note = sheet[-1][0]
        assert all(word in note for word in NOTES[lang]) and sheet[-1][1:] == (None,) * (len(sheet[-1]) - 1)

        page = render_html(report, lang)
        section = page.split("居民参与 (1)" if lang == "zh" else "Residents' participation (1)", 1)[1]
        table, after = section.split("</table>", 1)
        headers = re.findall(r"<th>(.*?)</th>", table)
        assert headers == [html.escape(h) for h in HEADERS[lang]], lang
        assert after.lstrip().startswith(f'<p class="note">{html.escape(note)}</p>')

        text = render_csv_with_about(report, lang)
        csv_rows = list(csv.reader(io.StringIO(text.split("\n\n")[1])))
        assert csv_rows[0] == HEADERS[lang], lang
    assert render_json(report) == export
