"""`accompany needs` as typed: the menu (the default, then a coordinator's additions,
renames and retirements), paper answers by code or home with problem points, the
tally as a table and as JSON, and the list-of-needs evidence following the answers;
bad input refused in one line with the database unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .test_cli import START, cli, db_dump, ok, refused
from .test_cli_households import GOOD, _file


@pytest.fixture
def project(cli_env: dict[str, str], tmp_path: Path) -> str:
    from accompany.config.settings import EXAMPLE_PEOPLE

    ok("people", "load", str(EXAMPLE_PEOPLE))
    ok(*START)
    ok("households", "load", "1", _file(tmp_path, GOOD), "--by", "zhangl")
    return "1"


def _menu(project: str) -> dict[str, int]:
    return {item["name"]: item["id"] for item in json.loads(ok("needs", "menu", project, "--json"))["items"]}


def test_menu_answers_tally_and_the_list_of_needs(
    project: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    shown = ok("needs", "menu", project)
    assert "加装电梯" in shown and "improvement" in shown
    assert _menu(project)["屋面防水"] == -1  # the default, not yet the project's own
    out = ok("needs", "menu", project, "--add", "完善类:增设快递柜", "--by", "zhangl")
    assert "增设快递柜" in out
    menu = _menu(project)
    assert all(i > 0 for i in menu.values())
    ok("needs", "menu", project, "--rename", f"{menu['停车管理']}=停车秩序管理", "--by", "zhangl")

    said = ok(
        "needs", "record", project, "--household", "3-2-501", "--need", str(menu["加装电梯"]),
        "--need", str(menu["增设快递柜"]), "--comment", "希望尽快加装电梯",
        "--point", "安全隐患,39.9089,116.4035,井盖松动", "--by", "wangrb",
    )  # fmt: skip
    assert "recorded the paper answer (2 needs, 1 problem points)" in said
    again = ok(
        "needs", "record", project, "--household", "3-2-501", "--need", str(menu["加装电梯"]),
        "--point", "设施损坏,39.9075,116.39723", "--wgs84", "--by", "wangrb", "--json",
    )  # fmt: skip
    assert json.loads(again)["replaced"] is True
    ok(
        "needs",
        "record",
        project,
        "--household",
        "3-2-502",
        "--need",
        str(menu["屋面防水"]),
        "--by",
        "zhangl",
    )
    # an item households chose is retired, not deleted
    ok("needs", "menu", project, "--retire", str(menu["屋面防水"]), "--by", "zhangl")
    retired = {i["name"]: i for i in json.loads(ok("needs", "menu", project, "--json"))["items"]}
    assert retired["屋面防水"]["retired"] is True and retired["屋面防水"]["chosen_by"] == 1
    ok("needs", "menu", project, "--retire", str(menu["增设快递柜"]), "--by", "zhangl")  # nobody chose it
    assert "增设快递柜" not in _menu(project)

    tally = json.loads(ok("needs", "tally", project, "--json"))
    assert (tally["responses"], tally["paper"], tally["items_chosen"], tally["points"]) == (2, 2, 2, 1)
    assert [(r["name"], r["households"], r["share"]) for r in tally["rows"][:2]] == [
        ("屋面防水", 1, 0.5),
        ("加装电梯", 1, 0.5),
    ]
    table = ok("needs", "tally", project)
    assert "households answering: 2 (2 on paper); items chosen: 2; problem points: 1" in table

    before = db_dump(cli_env)
    refused(
        3,
        "needs",
        "record",
        project,
        "--household",
        "ZZZZZZZZ",
        "--need",
        str(menu["加装电梯"]),
        "--by",
        "wangrb",
    )
    refused(
        2,
        "needs",
        "record",
        project,
        "--household",
        "3-2-502",
        "--need",
        str(menu["屋面防水"]),
        "--by",
        "wangrb",
    )
    refused(2, "needs", "record", project, "--household", "3-2-502", "--need", str(menu["加装电梯"]),
            "--point", "其他,31.23,121.47", "--by", "wangrb")  # fmt: skip
    refused(4, "needs", "menu", project, "--add", "基础类:路灯", "--by", "wangrb")
    assert db_dump(cli_env) == before

    events = ok("project", "show", project, "--events")
    assert "Needs survey answered" in events or "已提交需求问卷" in events

    # the needs survey done: the list of needs is what the answers show
    pdf = tmp_path / "map.pdf"
    pdf.write_bytes(b"%PDF-1.4 map")
    ok(
        "stage", "done", project, "needs-survey", "--by", "wangrb", "-e", "households_interviewed=36",
        "-e", "observation_days=5", "--attach", f"problem_map={pdf}",
    )  # fmt: skip
    code, _, err = cli(
        "needs",
        "record",
        project,
        "--household",
        "3-2-502",
        "--need",
        str(menu["加装电梯"]),
        "--by",
        "wangrb",
    )
    assert code == 5 and "is closed" in err
    ok("stage", "approve", project, "needs-survey", "--by", "zhaoy")
    code, _, err = cli("stage", "done", project, "needs-list", "--by", "wangrb", "-e", "needs_items=9")
    assert (
        code == 2 and "evidence items on the list of needs is computed from the residents' answers (2)" in err
    )
    ok("stage", "done", project, "needs-list", "--by", "wangrb")
    shown = ok("project", "show", project, "--json")
    stage = next(s for s in json.loads(shown)["stages"] if s["key"] == "needs-list")
    assert stage["evidence"]["needs_items"] == 2


def _photos(env: dict[str, str]) -> list[tuple[str | None, int | None]]:
    from sqlalchemy import select

    from accompany.bootstrap import build_app
    from accompany.db.orm import NeedsPointRow

    with build_app(database_url=env["ACCOMPANY_DATABASE_URL"]).reader() as uow:
        return list(uow.session.execute(select(NeedsPointRow.photo_name, NeedsPointRow.photo_size)).all())


def test_a_paper_answers_problem_point_takes_a_photo(
    project: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    menu = _menu(project)
    answer = ["needs", "record", project, "--household", "3-2-501", "--need", str(menu["加装电梯"]),
              "--by", "wangrb"]  # fmt: skip
    point = ["--point", "安全隐患,39.9089,116.4035,井盖松动"]
    fake = tmp_path / "井盖.png"
    fake.write_bytes(b"this is no image at all")
    text = tmp_path / "note.txt"
    text.write_text("井盖松动", encoding="utf-8")
    before = db_dump(cli_env)
    line = refused(2, *answer, *point, "--photo", str(fake))
    assert "井盖.png" in line, line
    assert "note.txt is not a JPEG or PNG image" in refused(2, *answer, *point, "--photo", str(text))
    assert "does not exist" in refused(2, *answer, *point, "--photo", str(tmp_path / "missing.png"))
    assert "--photo" in refused(2, *answer, "--photo", str(fake))  # a photo without its point
    assert db_dump(cli_env) == before and _photos(cli_env) == []

    photo = tmp_path / "井盖松动.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    said = ok(*answer, *point, "--point", "其他,39.9090,116.4036", "--photo", str(photo), "--photo", "")
    assert "2 problem points" in said
    assert sorted(_photos(cli_env), key=str) == sorted([("井盖松动.png", 72), (None, None)], key=str)
