"""The CLI speaks the users' language (Chinese by default) and names things by their
names; and the commands that used to surprise a coordinator in her first week."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from rich.console import Console

from accompany.config.settings import EXAMPLE_PEOPLE

from .test_cli import cli, db_dump, ok, refused, start_args

pytestmark = pytest.mark.zh


@pytest.fixture
def started(cli_env: dict[str, str], tmp_path: Path) -> Path:
    ok("people", "load", str(EXAMPLE_PEOPLE))
    ok(*start_args())
    problem_map = tmp_path / "问题地图.pdf"
    problem_map.write_bytes(b"%PDF-1.4 map")
    return problem_map


def test_names_not_ids_and_input_by_name(started: Path, cli_env: dict[str, str]) -> None:
    out = ok(
        "stage", "done", "1", "需求调研", "--by", "王若冰",
        "-e", "入户访谈户数=36", "-e", "驻场观察天数=5",
        "--attach", f"问题地图={started}", "--note", "已完成入户访谈",
        "--now", "2026-03-30T10:00",
    )  # fmt: skip
    assert out == "✓ 需求调研 已提交\n"
    ok("stage", "approve", "1", "需求调研", "--by", "赵阳", "--now", "2026-03-31T10:00")
    shown = ok("project", "show", "1", "--events", "--now", "2026-04-01T09:00")
    for name in (
        "太阳宫北街口袋公园更新",
        "朝阳区",
        "太阳宫街道",
        "王若冰",
        "张磊",
        "赵阳",
        "需求调研",
        "改造前问需于民",
    ):
        assert name in shown, name
    assert "入户访谈户数 = 36" in shown and "已完成入户访谈" in shown and "项目启动" in shown
    for code in ("wangrb", "zhaoy", "taiyanggong", "chaoyang", "needs-survey", "stage.submitted", "before"):
        assert code not in shown, code
    listing = ok("project", "list", "--now", "2026-04-01T09:00")
    assert "王若冰" in listing and "需求清单（清单式/菜单式）" in listing and "wangrb" not in listing
    # scripts keep the ids
    data = json.loads(ok("project", "list", "--json", "--now", "2026-04-01T09:00"))[0]
    assert (data["planner_id"], data["street_id"], data["planner"]) == ("wangrb", "taiyanggong", "王若冰")
    # every event time is Beijing time
    events = json.loads(ok("project", "show", "1", "--json"))["events"]
    assert all(e["at"].endswith("+08:00") for e in events)


def test_refusals_in_chinese_and_in_english(started: Path, cli_env: dict[str, str], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    line = refused(4, "stage", "approve", "1", "需求调研", "--by", "李静")
    assert line == "错误：李静 不是太阳宫街道办事处的人员"
    line = refused(
        6, "stage", "done", "1", "需求调研", "--by", "王若冰", "-e", "入户访谈户数=12", "--now", "2026-03-30"
    )
    assert line.startswith("错误：「需求调研」还不能标记完成：「入户访谈户数」不能少于 30，实际 12")
    monkeypatch.setenv("ACCOMPANY_LANGUAGE", "en")
    line = refused(4, "stage", "approve", "1", "needs-survey", "--by", "lij")
    assert line == "error: 李静 is not the street office of 太阳宫街道"


def test_an_ambiguous_name_lists_the_candidates(cli_env: dict[str, str], tmp_path: Path) -> None:
    directory = yaml.safe_load(EXAMPLE_PEOPLE.read_text(encoding="utf-8"))
    directory["people"].append(
        {
            "id": "wangrb2",
            "name": "王若冰",
            "role": "planner",
            "district": "chaoyang",
            "streets": ["taiyanggong"],
        }
    )
    path = tmp_path / "people.yaml"
    path.write_text(yaml.safe_dump(directory, allow_unicode=True), encoding="utf-8")
    ok("people", "load", str(path))
    before = db_dump(cli_env)
    line = refused(2, *start_args(planner="王若冰"))
    assert "「王若冰」对应 2 名人员（wangrb, wangrb2）" in line
    assert db_dump(cli_env) == before
    assert "#1" in ok(*start_args(planner="wangrb2"))


def test_an_exact_duplicate_is_refused_unless_asked(started: Path, cli_env: dict[str, str]) -> None:
    before = db_dump(cli_env)
    line = refused(5, *start_args())
    assert "已有 2026-03-02 启动的项目 #1「太阳宫北街口袋公园更新」" in line and "--allow-duplicate" in line
    assert db_dump(cli_env) == before
    assert "#2" in ok(*start_args(), "--allow-duplicate")


def test_a_future_start_waits_for_its_day(cli_env: dict[str, str]) -> None:
    ok("people", "load", str(EXAMPLE_PEOPLE))
    out = ok(*start_args(start="2026-03-09", now="2026-03-02T09:00"))
    assert "项目将于 2026-03-09 启动" in out
    stages = json.loads(ok("project", "show", "1", "--json", "--now", "2026-03-05"))["stages"]
    assert {s["state"] for s in stages} == {"pending"}
    line = refused(6, "stage", "done", "1", "需求调研", "--by", "王若冰", "--now", "2026-03-05")
    assert "尚未开始" in line
    ok("reminders", "run", "--now", "2026-03-06T09:00")  # before the day: nothing begins
    assert json.loads(ok("project", "show", "1", "--json"))["stages"][0]["state"] == "pending"
    ok("reminders", "run", "--now", "2026-03-09T09:00")
    survey = json.loads(ok("project", "show", "1", "--json", "--now", "2026-03-09T10:00"))["stages"][0]
    assert survey["state"] == "in_progress" and survey["activated_at"].startswith("2026-03-09")


def test_a_backdated_start_warns_of_what_is_already_overdue(cli_env: dict[str, str]) -> None:
    ok("people", "load", str(EXAMPLE_PEOPLE))
    out = ok(*start_args(start="2026-01-05", now="2026-03-02T09:00"))
    assert "注意：启动日期早于今天——已有 1 个阶段逾期：需求调研" in out


def test_a_paused_stage_is_not_marked_done(started: Path, cli_env: dict[str, str]) -> None:
    ok("stage", "pause", "1", "需求调研", "--by", "张磊", "--reason", "冬季停工", "--now", "2026-03-10T09:00")
    before = db_dump(cli_env)
    line = refused(
        6, "stage", "done", "1", "需求调研", "--by", "王若冰",
        "-e", "入户访谈户数=36", "-e", "驻场观察天数=5", "--attach", f"问题地图={started}",
        "--now", "2026-03-30T10:00",
    )  # fmt: skip
    assert line == (
        "错误：「需求调研」已由 张磊 于 2026-03-10 09:00 暂停计时（冬季停工）；请联系协调人恢复计时"
    )
    assert db_dump(cli_env) == before


def test_a_grant_that_leaves_the_deadline_past_says_so(started: Path, cli_env: dict[str, str]) -> None:
    ok(
        "stage",
        "extend",
        "1",
        "需求调研",
        "--by",
        "王若冰",
        "--days",
        "2",
        "--reason",
        "补访",
        "--now",
        "2026-04-10",
    )
    out = ok("stage", "grant-extension", "1", "需求调研", "--by", "赵阳", "--now", "2026-05-06T09:00")
    assert "需求调研 截止日期 2026-04-14 → 2026-04-16" in out
    assert "新的截止日期 2026-04-16 已经过去：该阶段已逾期" in out
    shown = ok("project", "show", "1", "--now", "2026-05-06T10:00")
    assert "延期: 2 个工作日：补访; 赵阳 准予延期 2 个工作日" in shown


def test_a_file_given_again_is_listed_once_and_can_be_fetched(
    started: Path, cli_env: dict[str, str], tmp_path: Path
) -> None:
    done = (
        "stage",
        "done",
        "1",
        "需求调研",
        "--by",
        "王若冰",
        "-e",
        "入户访谈户数=36",
        "-e",
        "驻场观察天数=5",
    )
    ok(*done, "--attach", f"问题地图={started}", "--now", "2026-03-30T10:00")
    ok(
        "stage",
        "return",
        "1",
        "需求调研",
        "--by",
        "赵阳",
        "--reason",
        "补充说明",
        "--now",
        "2026-03-31T10:00",
    )
    ok(*done, "--attach", f"问题地图={started}", "--now", "2026-04-01T10:00")
    attachments = json.loads(ok("project", "show", "1", "--json"))["stages"][0]["attachments"]
    assert [a["filename"] for a in attachments] == ["问题地图.pdf"]
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    assert "已将 问题地图.pdf 保存到" in ok(
        "attachment", "get", str(attachments[0]["id"]), "--out", str(out_dir)
    )
    assert (out_dir / "问题地图.pdf").read_bytes() == started.read_bytes()
    assert refused(3, "attachment", "get", "999").startswith("错误：附件 999 不存在")
    assert refused(2, "attachment", "get", "-1").startswith("错误：")


def test_calendar_add_writes_to_the_data_folder_and_a_bad_file_fails_only_what_needs_it(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from accompany.config.settings import BUILTIN_CALENDARS

    home = Path(cli_env["ACCOMPANY_HOME"])
    monkeypatch.delenv("ACCOMPANY_CALENDAR_DIR")
    year = tmp_path / "2030.yaml"
    year.write_text(
        "year: 2030\nsource: 测试用数据\nholidays: [2030-01-01]\nworkdays: []\n", encoding="utf-8"
    )
    ok("people", "load", str(EXAMPLE_PEOPLE))
    out = ok("calendar", "add", str(year))
    assert (home / "calendars" / "2030.yaml").is_file() and str(home / "calendars") in out
    assert not (BUILTIN_CALENDARS / "2030.yaml").exists()
    (home / "calendars" / "broken.yaml").write_text("year: [not a year\n", encoding="utf-8")
    assert "王若冰" in ok("people", "list")  # needs no calendar: runs
    line = refused(2, *start_args())
    assert "broken.yaml" in line
    check = ok("calendar", "check")
    assert "无法使用" in check and "broken.yaml" in check


def test_the_demo_refuses_a_database_that_has_projects(started: Path, cli_env: dict[str, str]) -> None:
    before = db_dump(cli_env)
    line = refused(2, "demo", "--no-prefect", "--db", cli_env["ACCOMPANY_DATABASE_URL"])
    assert "演示需要一个空数据库" in line and "1 个项目" in line
    assert db_dump(cli_env) == before


def test_narrow_terminals_wrap_names_not_deadlines(started: Path, cli_env: dict[str, str]) -> None:
    from accompany.bootstrap import build_app
    from accompany.cli.render import projects_table
    from accompany.clock import FixedClock, parse_moment
    from accompany.services.queries import list_projects

    ok(*start_args(name="太阳宫北街口袋公园更新及周边慢行系统与无障碍环境综合提升工程（一期）"))
    app = build_app(
        database_url=cli_env["ACCOMPANY_DATABASE_URL"], clock=FixedClock(parse_moment("2026-03-10"))
    )
    projects, _ = list_projects(app)
    console = Console(width=80, record=True, force_terminal=False)
    console.print(projects_table(projects, "zh"))
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert text.count("2026-04-14") == 2  # each deadline whole on one line
    _ = cli  # (the CLI helpers come from test_cli)


def test_reminders_notifications_and_schema_speak_chinese(started: Path, cli_env: dict[str, str]) -> None:
    swept = ok("reminders", "run", "--now", "2026-04-09T09:00")
    assert "新排队 1 条通知" in swept and "即将到期" in swept and "王若冰" in swept
    assert "发给" in swept and "queued" not in swept
    listing = ok("notifications", "list")
    assert "太阳宫街道办事处" in listing and "尝试次数" in listing and "pending" not in listing
    assert "没有符合条件的通知" in ok("notifications", "list", "--failed")
    current = ok("db", "current")
    assert "已是最新" in current and "revision" not in current


def test_the_report_command_speaks_chinese(started: Path, cli_env: dict[str, str], tmp_path: Path) -> None:
    """The report's help and its summary line were English whatever the language."""
    out = ok(
        "report", "quarterly", "--quarter", "2026Q1", "--out", str(tmp_path), "--now", "2026-04-02T09:00"
    )
    line = " ".join(out.split())  # as one line, whatever the terminal's width wrapped
    assert line.startswith("已写入 ") and "（完整季度），数据截至北京时间 2026-04-01 00:00" in line
    assert "wrote" not in out
    # the quarter as a Chinese reader names it (the file name keeps 2026Q1)
    assert "—— 2026年第一季度（完整季度）" in line and "accompany-2026Q1-" in line
    shown = ok("report", "quarterly", "--help")
    assert "季度合规报表" in shown and "报表语言" in shown and "only this" not in shown


def test_an_import_file_in_chinese_headers_throughout(cli_env: dict[str, str], tmp_path: Path) -> None:
    """Every column has a Chinese header (截止:施工陪伴 too); the problems are named by the
    file's own headers and the summary line is Chinese; nothing is written."""
    ok("people", "load", str(EXAMPLE_PEOPLE))
    header = "项目名称,区,街道,社区,责任规划师,启动日期,协调人,流程模板,截止:施工陪伴\n"
    good = "望京小街,朝阳区,太阳宫街道,望京社区,王若冰,2026-05-06,张磊,accompany-service,2026-12-01\n"
    bad = tmp_path / "坏.csv"
    bad.write_text(
        header + good + "坏行,朝阳区,不存在街道,x,王若冰,2026-13-01,张磊,accompany-service,2026-12-01\n",
        encoding="utf-8",
    )
    before = db_dump(cli_env)
    code, out, err = cli("project", "import", str(bad), "--now", "2026-05-06")
    assert code == 2 and "启动日期" in out and "街道" in out and "不存在街道" in out
    assert err.strip() == "错误：2 行中有 1 行有误（2 处问题）；未导入任何项目"
    assert db_dump(cli_env) == before
    path = tmp_path / "好.csv"
    path.write_text(header + good, encoding="utf-8")
    assert "导入 1 个项目" in ok("project", "import", str(path), "--now", "2026-05-06")
    stages = json.loads(ok("project", "show", "1", "--json", "--now", "2026-05-06T10:00"))["stages"]
    construction = next(s for s in stages if s["key"] == "construction-accompany")
    assert "2026-12-01" in json.dumps(construction)


def test_calendar_show_names_holidays_and_weekdays(cli_env: dict[str, str]) -> None:
    shown = ok("calendar", "show", "2026")
    assert "春节" in shown and "劳动节" in shown and "周四" in shown and "调休上班" in shown
    assert "Thu" not in shown and "holiday" not in shown
    assert "名称" in shown and "姓名" not in shown  # a holiday's name is not a person's


def test_the_demo_leaves_the_users_home_alone(cli_env: dict[str, str]) -> None:
    home = Path(cli_env["ACCOMPANY_HOME"])
    ok("people", "load", str(EXAMPLE_PEOPLE))
    before = (db_dump(cli_env), sorted(p.relative_to(home) for p in home.rglob("*")))
    ok("demo", "--no-prefect")
    assert (db_dump(cli_env), sorted(p.relative_to(home) for p in home.rglob("*"))) == before


def test_a_channel_tag_is_shown_in_the_same_words(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`notifications channels` names a tag as the notifications list names its audience."""
    from accompany.config.settings import CONFIG_DIR

    monkeypatch.setenv("ACCOMPANY_APPRISE_CONFIG", str(CONFIG_DIR / "apprise.example.yaml"))
    ok("people", "load", str(EXAMPLE_PEOPLE))
    channels = ok("notifications", "channels")
    assert "太阳宫街道办事处 (street-office-taiyanggong)" in channels
    assert "王若冰 (person-wangrb)" in channels and "朝阳区规划分局 (district-chaoyang)" in channels
    assert "酒仙桥街道办事处 (street-office-jiuxianqiao)" in channels  # no channel: the same words


def test_help_describes_every_command_in_chinese(cli_env: dict[str, str]) -> None:
    top = ok("--help")
    for described in ("新建、列出和查看项目。", "办理项目的各个阶段。", "合规报表。", "法定工作日日历。"):
        assert described in top, described
    done = ok("stage", "done", "--help")
    assert "提交阶段完成及公众参与材料" in done and "执行操作的人" in done
    for group in ("project", "stage", "people", "calendar", "notifications", "reminders", "audit"):
        shown = ok(group, "--help")
        # Typer's own words too: 用法：, 选项：, 命令：, [必填] (they were Usage:, Options …)
        assert shown.startswith("用法：") and "选项：" in shown and "显示本帮助并退出。" in shown
        assert "Usage" not in shown and "Options" not in shown and "Show this message" not in shown
        commands = shown.split("命令：", 1)[-1]
        # each command's description is Chinese (no line of the command list is English only)
        for line in commands.splitlines()[1:]:
            text = line.strip(" │╭╮╰╯─")
            if text and " " in text:
                description = text.split(None, 1)[1]
                assert any("\u4e00" <= ch <= "\u9fff" for ch in description), (group, line)
    assert "[必填]" in done and "[required]" not in done


def test_a_group_alone_shows_its_help_and_a_typo_is_answered_in_chinese(cli_env: dict[str, str]) -> None:
    code, _, err = cli("stage")
    # the group's help as it is: not prefixed 错误： nor followed by （见 --help）
    assert code == 2 and err.startswith("用法：accompany stage") and "错误" not in err
    assert "没有这个命令：dne（是否要用 done？）" in refused(2, "stage", "dne")
    assert "没有这个选项：--b（是否要用 --by, --db？）" in refused(2, "stage", "done", "1", "x", "--b", "w")
