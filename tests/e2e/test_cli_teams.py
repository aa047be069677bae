"""`accompany people load` with the directory's ``teams:`` section, and `people list`
showing the names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accompany.config.settings import EXAMPLE_PEOPLE

from .test_cli import ok, refused

TSINGHUA = "清华大学太阳宫街道责任规划师团队"


def test_a_bad_teams_entry_is_refused_in_chinese_and_nothing_is_loaded(
    cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCOMPANY_LANGUAGE", "zh")
    ok("people", "load", str(EXAMPLE_PEOPLE))
    before = ok("people", "list", "--json")
    people = {p["id"]: p for p in json.loads(before)}
    assert people["wangrb"]["team"] == "tsinghua-tyg" and people["wangrb"]["team_name"] == TSINGHUA
    listed = ok("people", "list")
    assert TSINGHUA[:8] in listed.replace("\n", "").replace("│", "").replace(" ", "")

    # a renamed team and person, and a teams entry with a key a team does not have
    text = (
        EXAMPLE_PEOPLE.read_text(encoding="utf-8")
        .replace(f"name: {TSINGHUA}}}", "name: 新名称, leader: wangrb}")
        .replace("name: 王若冰", "name: 王若冰二")
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    line = refused(2, "people", "load", str(bad))
    assert line.startswith("错误：") and "人员名录文件" in line
    assert "teams[0] (tsinghua-tyg)：未知的键“leader”（团队只有 id 和 name 两项）" in line, line
    assert ok("people", "list", "--json") == before  # nothing loaded: no name, no person changed

    # without the stray key it loads: the team is renamed like a street would be
    good = tmp_path / "good.yaml"
    good.write_text(text.replace(", leader: wangrb}", "}"), encoding="utf-8")
    assert "更新 1" in ok("people", "load", str(good))
    people = {p["id"]: p for p in json.loads(ok("people", "list", "--json"))}
    assert people["wangrb"]["team_name"] == "新名称" and people["wangrb"]["name"] == "王若冰二"
    assert "team_name" not in people["zhangl"]  # a coordinator has no team
