"""Calendar and stage-clock commands as typed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..calendar_years import first_unknown_year
from ..integration.test_calendar_and_clock import YEAR_2027
from .test_cli import db_dump, ok, refused, start_args


def test_calendar_check_and_show(cli_env: dict[str, str]) -> None:
    from importlib.metadata import version

    from accompany.calendars import load_calendar

    unknown = first_unknown_year(load_calendar([])[0])  # the package's last year + 1
    out = ok("calendar", "check", "--now", f"{unknown - 1}-11-24T10:00")
    assert f"chinese-calendar {version('chinesecalendar')} provides 2004–{unknown - 1}" in out
    assert f"known years: 2004–{unknown - 1}\n" in out
    assert f"{unknown} is unknown" in out and "provisional" in out
    checked = json.loads(ok("calendar", "check", "--json", "--now", f"{unknown - 1}-11-24T10:00"))
    assert checked["package"] == {
        "name": "chinesecalendar",
        "version": version("chinesecalendar"),
        "first_year": 2004,
        "last_year": unknown - 1,
    }
    assert (checked["known"][-1]["year"], checked["next_year_known"]) == (unknown - 1, False)
    shown = json.loads(ok("calendar", "show", "2026", "--json"))
    assert "2026-02-14" in shown["makeup_workdays"] and "2026-10-01" in shown["holidays"]
    assert "make-up workday" in ok("calendar", "show", "2026")
    assert f"{unknown} is not known" in ok("calendar", "show", str(unknown))


def test_provisional_deadline_then_calendar_add(
    calendar_as_of_2026: int, cli_env: dict[str, str], tmp_path: Path
) -> None:
    from accompany.config.settings import EXAMPLE_PEOPLE

    ok("people", "load", str(EXAMPLE_PEOPLE))
    # registered at the real time (no --now: a write is not dated in the future) for a
    # start on 2026-12-01; its deadlines count from that start day
    args = start_args(start="2026-12-01", stage_deadline="construction-accompany=2027-09-30")
    at = args.index("--now")
    ok(*args[:at], *args[at + 2 :])
    show = json.loads(ok("project", "show", "1", "--json", "--now", "2026-12-02T09:00"))
    assert show["stages"][0]["timing"] == {
        **show["stages"][0]["timing"],
        "due": "2027-01-12",
        "provisional": True,
    }
    assert "provisional" in ok("project", "show", "1", "--now", "2026-12-02T09:00")
    assert "1 open deadline(s) are provisional on 2027" in ok(
        "calendar", "check", "--now", "2026-12-02T09:00"
    )

    bad = tmp_path / "bad-2027.yaml"
    bad.write_text("year: 2027\nsource: x\nholidays: []\n", encoding="utf-8")
    before = db_dump(cli_env)
    line = refused(2, "calendar", "add", str(bad))
    assert "holidays" in line
    assert db_dump(cli_env) == before

    good = tmp_path / "2027-schedule.yaml"
    good.write_text(YEAR_2027, encoding="utf-8")
    out = ok("calendar", "add", str(good))  # at the real time
    assert "1 deadline change(s)" in out
    show = json.loads(ok("project", "show", "1", "--json", "--now", "2026-12-05T10:00"))
    survey = show["stages"][0]
    assert (survey["timing"]["due"], survey["timing"]["provisional"]) == ("2027-01-13", False)
    assert any(e["kind"] == "stage.deadline_changed" for e in show["events"])
    assert "test schedule for 2027" in ok("calendar", "show", "2027")


@pytest.mark.zh
def test_clock_and_extension_commands(cli_env: dict[str, str]) -> None:
    from accompany.config.settings import EXAMPLE_PEOPLE

    ok("people", "load", str(EXAMPLE_PEOPLE))
    ok(*start_args())
    ok(
        "stage",
        "pause",
        "1",
        "needs-survey",
        "--by",
        "zhangl",
        "--reason",
        "冬季停工",
        "--now",
        "2026-04-01T09:00",
    )
    assert "计时暂停" in ok("project", "show", "1", "--now", "2026-04-20T09:00")
    assert json.loads(ok("project", "list", "--overdue", "--json", "--now", "2026-04-20T09:00")) == []
    out = ok("stage", "resume", "1", "needs-survey", "--by", "zhangl", "--now", "2026-04-20T09:00")
    assert out == "✓ 需求调研 恢复计时（暂停 12 个工作日）；需求调研 截止日期 2026-04-14 → 2026-04-30\n"
    ok(
        "stage", "extend", "1", "needs-survey", "--by", "wangrb", "--days", "5", "--reason", "住户外出",
        "--now", "2026-04-21T09:00",
    )  # fmt: skip
    out = ok(
        "stage", "grant-extension", "1", "needs-survey", "--by", "zhaoy", "--days", "2",
        "--now", "2026-04-21T10:00",
    )  # fmt: skip
    assert out == "✓ 需求调研：延期获批 2 个工作日；需求调研 截止日期 2026-04-30 → 2026-05-07\n"
    ok("stage", "extend", "1", "needs-survey", "--by", "wangrb", "--days", "5", "--reason", "再延")
    line = refused(2, "stage", "refuse-extension", "1", "needs-survey", "--by", "zhaoy", "--reason", "")
    assert line == "错误：驳回需要填写理由"
    out = ok("stage", "refuse-extension", "1", "needs-survey", "--by", "zhaoy", "--reason", "时间充足")
    assert out == "✓ 需求调研：延期未获批：时间充足\n"
    show = json.loads(ok("project", "show", "1", "--json", "--now", "2026-05-06T09:00"))
    survey = show["stages"][0]
    assert survey["timing"]["due"] == "2026-05-07"  # 04-30 + 2 WD over Labour Day (05-01…05-05 off)
    assert [e["status"] for e in survey["extensions"]] == ["granted", "refused"]


@pytest.mark.zh
@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("year: 2027\nholidays: [2027-02-11]\n", "source：必填"),
        (
            "year: 2027\nsource: test\nholidays: [2027-02-11, {from: 2027-02-10, to: 2027-02-01}]\n",
            "holidays[1]：结束日期 2027-02-01 早于开始日期 2027-02-10",
        ),
        ("year: 2028\nsource: test\nholidays:\n  - 2028-02-30\n", "第 4 行：2028-02-30 不是日历上存在的日期"),
        ("year: 2027\nsource: test\nholidays: [2026-10-01]\n", "2026-10-01 不在 2027 年"),
    ],
)
def test_a_bad_calendar_file_is_one_chinese_line_naming_the_field(
    cli_env: dict[str, str], tmp_path: Path, content: str, said: str
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(content, encoding="utf-8")
    line = refused(2, "calendar", "add", str(bad))
    assert said in line, line
    assert "Field required" not in line and "YAML" not in line and "out of range" not in line
