"""The quarterly report names the planners' teams the directory names (清华大学…团队,
not tsinghua-tyg), shows a team it never named by its id and a planner without a
team by their name; the names are kept in the database, a directory loaded again
renames them, and neither the figures nor the inputs checksum move."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from accompany.bootstrap import App
from accompany.clock import FixedClock, parse_moment
from accompany.config.settings import EXAMPLE_PEOPLE
from accompany.db.orm import TeamRow
from accompany.directory import read_directory
from accompany.models.report import Quarter
from accompany.reporting import render_csv, render_html, render_json, write_xlsx
from accompany.services import commands
from accompany.services.reports import quarterly_report

from ..conftest import start_command

Q1 = Quarter.parse("2026Q1")
TSINGHUA = "清华大学太阳宫街道责任规划师团队"
FAR = {"construction-accompany": dt.date(2026, 12, 31)}


def _directory(tmp_path: Path, text: str, name: str = "people.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def unnamed(tmp_path: Path) -> Path:
    """The example directory with bjut-cy left out of ``teams:`` (shown by its id)
    and 何磊 (hel) in no team at all (counted as "(hel)")."""
    text = EXAMPLE_PEOPLE.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if "{id: bjut-cy," not in line]
    text = "\n".join(lines).replace("streets: [dongsi], team: bucea-dc}", "streets: [dongsi]}")
    assert "bjut-cy, name" not in text and "team: bucea-dc" not in text
    return _directory(tmp_path, text)


@pytest.fixture
def teams_app(app: App, clock: FixedClock, unnamed: Path) -> App:
    commands.load_directory(app, read_directory(unnamed))
    clock.moment = parse_moment("2026-01-05T09:00")
    start = dt.date(2026, 1, 5)
    for overrides in (
        {"name": "太阳宫口袋公园"},
        {"name": "酒仙桥步道", "street": "jiuxianqiao", "planner": "chenm", "by": "liuq"},
        {"name": "东四胡同", "district": "dongcheng", "street": "dongsi", "planner": "hel", "by": "maf"},
    ):
        commands.start_project(app, start_command(start=start, stage_deadlines=FAR, **overrides))
    clock.moment = parse_moment("2026-03-10T09:00")  # the needs surveys are overdue by now
    return app


def test_the_report_shows_team_names_and_falls_back_to_ids(teams_app: App, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    report = quarterly_report(teams_app, Q1)
    # bucea-dc is named, but nobody is in it any more
    assert report.names["team"] == {"tsinghua-tyg": TSINGHUA, "bucea-dc": "北京建筑大学东城区责任规划师团队"}
    teams = {r["key"] for r in report.rows if r["level"] == "team"}
    assert teams == {"taiyanggong/tsinghua-tyg", "jiuxianqiao/bjut-cy", "dongsi/(hel)"}

    write_xlsx(report, tmp_path / "q1.xlsx", "zh")
    book = load_workbook(tmp_path / "q1.xlsx")
    sheet = book["规划师团队"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["区", "街道", "团队"]
    shown = {row[1]: row[2] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert shown == {"太阳宫街道": TSINGHUA, "酒仙桥街道": "bjut-cy", "东四街道": "(何磊)"}
    projects = book["项目"]
    assert [c.value for c in projects[1]][2] == "团队"
    assert {row[2] for row in projects.iter_rows(min_row=2, values_only=True)} == set(shown.values())
    overdue = book["逾期事项"]
    column = [c.value for c in overdue[1]].index("团队")
    assert TSINGHUA in {row[column] for row in overdue.iter_rows(min_row=2, values_only=True)}
    cells = {c for s in book.worksheets for r in s.iter_rows(min_row=2, values_only=True) for c in r}
    assert "tsinghua-tyg" not in cells and "(hel)" not in cells

    rows = list(csv.reader(io.StringIO(render_csv(report, "zh"))))
    # the key column holds ids (joins with the JSON export): its header says so (代码, not 编号)
    assert rows[0][:6] == ["层级", "区", "街道", "团队", "代码", "名称"]
    by_team = {row[4]: row for row in rows if row[0] == "团队"}
    assert by_team["taiyanggong/tsinghua-tyg"][3] == TSINGHUA == by_team["taiyanggong/tsinghua-tyg"][5]
    assert by_team["jiuxianqiao/bjut-cy"][3] == "bjut-cy"  # never named: its id
    assert by_team["dongsi/(hel)"][3] == "(何磊)"
    assert {row[3] for row in rows if row[0] == "项目"} == {TSINGHUA, "bjut-cy", "(何磊)"}

    page = render_html(report, "zh")
    assert f"<td>{TSINGHUA}</td>" in page and "<td>bjut-cy</td>" in page and "<td>(何磊)</td>" in page
    assert "tsinghua-tyg" not in page
    assert TSINGHUA in render_html(report, "en")

    # the export keeps the ids, with the name beside those the directory names
    data = json.loads(render_json(report))
    named = {r["key"]: r for r in data["rows"] if r["level"] == "team"}
    assert named["taiyanggong/tsinghua-tyg"]["team"] == "tsinghua-tyg"
    assert named["taiyanggong/tsinghua-tyg"]["team_name"] == TSINGHUA
    assert "team_name" not in named["jiuxianqiao/bjut-cy"] and "team_name" not in named["dongsi/(hel)"]
    assert {i["team_name"] for i in data["worst_overdue"] if i["team"] == "tsinghua-tyg"} == {TSINGHUA}


def test_loading_again_names_and_renames_teams_and_the_checksum_stays(teams_app: App, tmp_path: Path) -> None:
    before = quarterly_report(teams_app, Q1)
    renamed = EXAMPLE_PEOPLE.read_text(encoding="utf-8").replace(TSINGHUA, "清华大学太阳宫团队（新）")
    commands.load_directory(teams_app, read_directory(_directory(tmp_path, renamed, "renamed.yaml")))
    with teams_app.reader() as uow:
        stored = {team: name for team, name in uow.session.execute(select(TeamRow.id, TeamRow.name))}
    assert stored == {
        "tsinghua-tyg": "清华大学太阳宫团队（新）",
        "bjut-cy": "北京工业大学朝阳区责任规划师团队",
        "bucea-dc": "北京建筑大学东城区责任规划师团队",
    }
    after = quarterly_report(teams_app, Q1)
    assert after.names["team"] == stored
    # names only: the same figures from the same inputs
    assert after.meta["inputs_sha256"] == before.meta["inputs_sha256"]
    assert after.rows == before.rows and after.summary == before.summary
    assert "清华大学太阳宫团队（新）" in render_csv(after, "zh") and TSINGHUA not in render_csv(after, "zh")
    assert "北京工业大学朝阳区责任规划师团队" in render_csv(after, "zh")


def test_the_web_downloads_and_the_api_name_the_teams(teams_app: App) -> None:
    from openpyxl import load_workbook

    from accompany.services import accounts
    from accompany.web.app import create_web_app

    from ..web_support import client, sign_in, with_passwords

    web = create_web_app(with_passwords(teams_app, "zhoux"))
    district = sign_in(web, "zhoux")
    for fmt in ("csv", "html"):
        text = district.get("/reports/download", params={"quarter": "2026Q1", "format": fmt}).text
        assert TSINGHUA in text and "bjut-cy" in text, fmt
    xlsx = district.get("/reports/download", params={"quarter": "2026Q1", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content))["规划师团队"]
    assert {row[2] for row in sheet.iter_rows(min_row=2, values_only=True)} == {TSINGHUA, "bjut-cy"}

    token = accounts.create_api_token(teams_app, "zhoux", "test", by="operator").token
    api = client(web).get(
        "/api/v1/reports/quarterly",
        params={"quarter": "2026Q1"},
        headers={"Authorization": f"Bearer {token}"},
    )
    rows = {r["key"]: r for r in api.json()["rows"] if r["level"] == "team"}
    assert rows["taiyanggong/tsinghua-tyg"]["team_name"] == TSINGHUA
    assert rows["taiyanggong/tsinghua-tyg"]["team"] == "tsinghua-tyg"


def _html_table(page: str, heading: str) -> list[list[str]]:
    """The cells (header row first) of the HTML report's table under ``<h2>heading</h2>``."""
    import re

    section = page.split(f"<h2>{heading}</h2>", 1)[1].split("</table>", 1)[0]
    return [re.findall(r"<t[hd]>(.*?)</t[hd]>", row) for row in re.findall(r"<tr>(.*?)</tr>", section)]


def test_a_team_serving_two_streets_has_a_row_per_street_named_by_its_street(
    people: App, clock: FixedClock, tmp_path: Path
) -> None:
    """陈敏 (bjut-cy) plans a project in 太阳宫 and one in 酒仙桥: the team table has a
    row for each, told apart by the street's name (the HTML's had the team's name
    only, twice); the workbook and the CSV name the street too."""
    from openpyxl import load_workbook

    bjut = "北京工业大学朝阳区责任规划师团队"
    clock.moment = parse_moment("2026-01-05T09:00")
    for street, by in (("taiyanggong", "zhangl"), ("jiuxianqiao", "liuq")):
        commands.start_project(
            people,
            start_command(
                name=f"{street}口袋公园",
                street=street,
                planner="chenm",
                by=by,
                start=dt.date(2026, 1, 5),
                stage_deadlines=FAR,
            ),
        )
    clock.moment = parse_moment("2026-03-10T09:00")
    report = quarterly_report(people, Q1)
    teams = {r["key"] for r in report.rows if r["level"] == "team"}
    assert teams == {"taiyanggong/bjut-cy", "jiuxianqiao/bjut-cy"}
    before = render_json(report)

    for lang, heading, header in (
        ("zh", "规划师团队", ["街道", "团队"]),
        ("en", "planner teams", ["street", "team"]),
    ):
        table = _html_table(render_html(report, lang), heading)
        assert table[0][:2] == header, lang
        # the streets by name (the directory's names in both languages), not by id
        assert sorted(row[:2] for row in table[1:]) == [["太阳宫街道", bjut], ["酒仙桥街道", bjut]], lang

    write_xlsx(report, tmp_path / "q1.xlsx", "zh")
    sheet = load_workbook(tmp_path / "q1.xlsx")["规划师团队"]
    assert [c.value for c in sheet[1]][:3] == ["区", "街道", "团队"]
    assert sorted(row[1:3] for row in sheet.iter_rows(min_row=2, values_only=True)) == [
        ("太阳宫街道", bjut),
        ("酒仙桥街道", bjut),
    ]
    rows = list(csv.reader(io.StringIO(render_csv(report, "zh"))))
    assert sorted((row[2], row[3]) for row in rows if row[0] == "团队") == [
        ("太阳宫街道", bjut),
        ("酒仙桥街道", bjut),
    ]
    # the export keeps its ids and its figures: the column is the readers' only
    assert render_json(report) == before
    data = json.loads(before)
    assert sorted(r["street"] for r in data["rows"] if r["level"] == "team") == ["jiuxianqiao", "taiyanggong"]


def test_a_city_wide_html_report_names_each_streets_district(teams_app: App) -> None:
    """Over several districts the HTML report's street and team tables named a street
    by its name alone, so two districts' streets of one name read as one. A report
    over two districts now names each row's district; a district's own report, where
    the district is known, does not repeat it."""
    city = quarterly_report(teams_app, Q1)
    page = render_html(city, "zh")
    streets = _html_table(page, "街道")
    assert streets[0][:2] == ["区", "名称"]
    assert sorted(row[:2] for row in streets[1:]) == [
        ["东城区", "东四街道"],
        ["朝阳区", "太阳宫街道"],
        ["朝阳区", "酒仙桥街道"],
    ]
    assert _html_table(page, "规划师团队")[0][:3] == ["区", "街道", "团队"]
    assert _html_table(render_html(city, "en"), "streets")[0][:2] == ["district", "name"]
    own = render_html(quarterly_report(teams_app, Q1, district="chaoyang"), "zh")
    assert _html_table(own, "街道")[0][0] == "名称"
    assert _html_table(own, "规划师团队")[0][:2] == ["街道", "团队"]
