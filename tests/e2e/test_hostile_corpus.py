"""The hostile-input corpus (tests/e2e/hostile_corpus.py), on SQLite and PostgreSQL:
every input is refused in one line that names the problem, with its exit code (never
70, never a traceback), no secret in what is printed, and the database unchanged.
Then the inputs that are hostile but legitimate (names with markup, escapes,
quotes, 100 KB notes in a file …) are accepted and every listing still works."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from accompany.bootstrap import App, build_app
from accompany.cli.main import app
from accompany.config.settings import EXAMPLE_PEOPLE

from ..conftest import DB_PARAMS, _drop_pg_schema, _fresh_pg_schema
from ..integration.test_services import snapshot
from .hostile_corpus import CASES, SECRET_DB, Case
from .test_cli import START

runner = CliRunner()
# secrets the corpus's environment holds: none may be printed, whatever the input
CHANNEL_SECRETS = ("PathT0ken-9f2", "QueryT0ken-4b7", "HeaderT0ken-1d3", "Passw0rd-7c5")
SECRETS = (*CHANNEL_SECRETS, "DbSecret-0c1e")
EXIT_CODES = {2, 3, 4, 5, 6, 69}


@dataclass
class World:
    env: dict[str, str]
    files: dict[str, str]
    app: App | None = None

    def contents(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table: what a refused input must leave as it was (one
        application per world, so it is cheap enough to read twice per case)."""
        if self.app is None:
            self.app = build_app(database_url=self.env["ACCOMPANY_DATABASE_URL"])
        return snapshot(self.app)


def _invoke(env: dict[str, str], args: list[str], stdin: str | None = None) -> tuple[int, str, str]:
    previous = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        result = runner.invoke(app, args, input=stdin)
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return result.exit_code, result.stdout, result.stderr


def _ok(world: World, *args: str) -> str:
    code, out, err = _invoke(world.env, list(args))
    assert code == 0, f"{args}: exit {code}\n{out}\n{err}"
    return out


def _files(folder: Path) -> dict[str, str]:
    """The files the corpus names as {name}."""
    folder.mkdir()
    made: dict[str, str] = {}

    def write(name: str, content: str | bytes, suffix: str = ".yaml") -> None:
        path = folder / f"{name}{suffix}"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        made[name] = str(path)

    write("file", b"%PDF-1.4 problem map", ".pdf")
    (folder / "link.pdf").symlink_to(folder / "file.pdf")
    made["link"] = str(folder / "link.pdf")
    (folder / "a-folder").mkdir()
    made["dir"] = str(folder / "a-folder")
    write("empty", "")
    write("binary", b"\xff\xfe\x00\x81 not text \xc3\x28")
    write("not_yaml", "key: [unclosed\n  - : :\n", ".txt")
    write("yaml_list", "- 1\n- 2\n")
    write("python_tag", "id: x\nname: !!python/object/apply:os.system ['echo pwned']\n")
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        lines.append(f"{level}: &{level} [" + ",".join([f"*{previous}"] * 9) + "]")
    write("bomb", "\n".join(lines) + "\n")
    write("deep", "[" * 50_000 + "]" * 50_000 + "\n")  # PyYAML's own scanner took minutes
    write("nested", "a: &x " + "[" * 900 + "]" * 900 + "\nb: *x\n")  # a RecursionError (exit 70)
    write("big_yaml", "# padding\n" + ("x: 1\n" * 600_000))
    people = EXAMPLE_PEOPLE.read_text(encoding="utf-8")
    write("people_nul", people.replace("name: 王若冰", 'name: "王\\0若冰"'))
    write("people_fewer", people.replace("  - {id: hel,", "  # - {id: hel,"))
    write("people_duplicate", people.replace("{id: liuq,", "{id: zhangl,"))
    write(
        "people_bad_role",
        people.replace("{id: liuq, name: 刘倩, role: coordinator", "{id: liuq, name: 刘倩, role: emperor"),
    )
    write("calendar_1066", "year: 1066\nholidays:\n  - {name: x, days: [1066-01-01]}\nworkdays: []\n")
    write(
        "calendar_wrong_year", "year: 2031\nholidays:\n  - {name: 元旦, days: [2030-01-01]}\nworkdays: []\n"
    )
    write(
        "calendar_both",
        "year: 2031\nholidays:\n  - {name: 元旦, days: [2031-01-01]}\nworkdays: [2031-01-01]\n",
    )
    header = "name,district,street,community,planner,start,by,deadline:construction-accompany\n"
    write(
        "import_bad",
        header
        + '=HYPERLINK("http://x"),朝阳区,太阳宫街道,社区,wangrb,2026-13-01,zhangl,2026-10-30\n'
        + "好项目,火星区,太阳宫街道,社区,wangrb,2026-03-09,zhangl,2026-10-30\n",
        ".csv",
    )
    return made


def _apprise_config(folder: Path) -> Path:
    path_token, query_token, header_token, password = CHANNEL_SECRETS
    config = folder / "apprise.yaml"
    config.write_text(
        "urls:\n"
        f"  - json://127.0.0.1:1/hooks/{path_token}?token={query_token}&+Authorization={header_token}:\n"
        "      - tag: person-wangrb, person-zhangl\n"
        f"  - form://ops:{password}@127.0.0.1:1/notify:\n"
        "      - tag: street-office-taiyanggong, district-chaoyang\n",
        encoding="utf-8",
    )
    return config


@pytest.fixture(scope="module", params=DB_PARAMS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Two projects: #1 with its first stage in progress, #2 with it waiting for the
    street office. Built once per database; every refused input must leave it as is."""
    from accompany.bootstrap import dispose_engines

    root = tmp_path_factory.mktemp("hostile")
    schema = None
    if request.param == "sqlite":
        url = f"sqlite:///{root / 'accompany.db'}"
    else:
        base = request.getfixturevalue("postgres_base_url")
        url, schema = _fresh_pg_schema(base)
    (root / "calendars").mkdir()
    env = {
        "ACCOMPANY_DATABASE_URL": url,
        "ACCOMPANY_HOME": str(root / "home"),
        "ACCOMPANY_CALENDAR_DIR": str(root / "calendars"),
        "ACCOMPANY_ATTACHMENTS_DIR": str(root / "files"),
        "ACCOMPANY_APPRISE_CONFIG": str(_apprise_config(root)),
        "ACCOMPANY_LANGUAGE": "en",
        "COLUMNS": "200",
    }
    world = World(env, _files(root / "inputs"))
    _ok(world, "people", "load", str(EXAMPLE_PEOPLE))
    _ok(world, *START)
    second = [*START]
    second[second.index("--name") + 1] = "酒仙桥社区微花园"
    _ok(world, *second)
    _ok(
        world,
        "stage", "done", "2", "needs-survey", "--by", "wangrb",
        "-e", "households_interviewed=36", "-e", "observation_days=5",
        "--attach", f"problem_map={world.files['file']}", "--now", "2026-03-30T10:00",
    )  # fmt: skip
    yield world
    dispose_engines()
    if schema is not None:
        _drop_pg_schema(request.getfixturevalue("postgres_base_url"), schema)


def _fill(arg: str, files: dict[str, str]) -> str:
    for name, path in files.items():
        arg = arg.replace("{" + name + "}", path)
    return arg


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_hostile_input_is_refused_in_one_line(world: World, case: Case) -> None:
    before = world.contents()
    args = [_fill(arg, world.files) for arg in case.args]
    code, out, err = _invoke(world.env, args, stdin="")
    shown = out + err
    assert code == case.code, f"{case.name}: exit {code}, expected {case.code}\n{out}\n{err}"
    assert code in EXIT_CODES
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"{case.name}: not one line:\n{err}"
    assert lines[0].startswith("error: ")
    # no traceback, no library internals (the URL scheme postgresql+psycopg:// may be named)
    assert "Traceback" not in shown and "sqlalchemy." not in shown.lower() and "psycopg." not in shown
    assert "\x1b" not in shown and "\x00" not in shown
    for secret in SECRETS:
        assert secret not in shown, f"{case.name}: a secret was printed"
    if case.mentions:
        assert case.mentions in lines[0]
    assert world.contents() == before, f"{case.name}: the database changed"


CJK = re.compile(r"[\u3400-\u9fff]")


def test_every_hostile_input_is_refused_in_chinese_by_default(world: World) -> None:
    """The same corpus as a Chinese-speaking operator sees it (the default language):
    each refusal is one line in Chinese, not the English template (a message raised
    as a ready-made f-string escapes the catalogue and was printed in English)."""
    if "sqlite" not in world.env["ACCOMPANY_DATABASE_URL"]:
        pytest.skip("the language of a refusal does not depend on the database (run once, on SQLite)")
    env = {**world.env, "ACCOMPANY_LANGUAGE": "zh"}
    english = []
    for case in CASES:
        code, _, err = _invoke(env, [_fill(arg, world.files) for arg in case.args], stdin="")
        lines = [line for line in err.splitlines() if line.strip()]
        assert code == case.code and len(lines) == 1, f"{case.name}: exit {code}\n{err}"
        assert lines[0].startswith("错误："), f"{case.name}: {lines[0]}"
        if not CJK.search(lines[0].removeprefix("错误：")):
            english.append(f"{case.name}: {lines[0]}")
    assert not english, "refused in English:\n" + "\n".join(english)


LEGITIMATE_NAMES = (
    "[/bold]关闭标记",
    "[red]红色[/red] :smile: $(rm -rf /) `id`",
    "'; DROP TABLE projects; --",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://evil","点我")',
    "+1-1",
    "@SUM(A1)",
    "名字\t带制表符",
    "长" * 200,
)


def test_hostile_but_legitimate_input_is_kept_as_text_and_every_listing_works(world: World) -> None:
    """Accepted input that looks like markup, SQL, HTML or a formula is stored and
    shown as written; the listings, the audit log and the report never break on it."""
    for index, name in enumerate(LEGITIMATE_NAMES):
        options = [*START]
        options[options.index("--name") + 1] = name
        options[options.index("--start") + 1] = f"2026-03-{10 + index:02d}"
        options[options.index("--now") + 1] = f"2026-03-{10 + index:02d}T09:00"
        _ok(world, *options)
    projects = json.loads(_ok(world, "project", "list", "--json", "--now", "2026-04-01T09:00"))
    names = {p["name"] for p in projects}
    assert set(LEGITIMATE_NAMES) <= names
    table = _ok(world, "project", "list", "--now", "2026-04-01T09:00")
    assert "[/bold]关闭标记" in table and ":smile:" in table and "😄" not in table
    for project in projects:
        shown = _ok(world, "project", "show", str(project["id"]), "--events", "--now", "2026-04-01T09:00")
        assert "\x1b" not in shown
    note = "备注 [/b] " + "很长" * 2400  # 4,806 characters, under the 5,000 limit
    _ok(
        world,
        "stage",
        "pause",
        "1",
        "needs-survey",
        "--by",
        "zhangl",
        "--reason",
        note,
        "--now",
        "2026-04-01T10:00",
    )
    _ok(world, "project", "show", "1", "--events", "--now", "2026-04-02T09:00")
    csv = _ok(world, "report", "quarterly", "--quarter", "2026Q1", "--format", "csv")
    assert "\n=HYPERLINK" not in csv and ",=HYPERLINK" not in csv and ",+1-1" not in csv
    for output in (
        table,
        csv,
        _ok(world, "notifications", "channels"),
        _ok(world, "notifications", "list", "--json"),
    ):
        for secret in SECRETS:
            assert secret not in output


def test_an_unreachable_database_with_a_password_is_one_line_without_it() -> None:
    code, out, err = _invoke({"ACCOMPANY_LANGUAGE": "en"}, ["project", "list", "--db", SECRET_DB])
    assert code == 69 and "DbSecret" not in out + err and len(err.strip().splitlines()) == 1
