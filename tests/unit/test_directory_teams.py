"""The people directory's ``teams:`` section: the names of the planners' teams, and
its refusals in the reader's language."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from accompany.config.settings import EXAMPLE_PEOPLE
from accompany.directory import read_directory
from accompany.i18n import error_text
from accompany.models.errors import InvalidInput
from accompany.models.people import Directory, Team


def _raw() -> dict:
    return yaml.safe_load(EXAMPLE_PEOPLE.read_text("utf-8"))


def _refusal(tmp_path: Path, teams: object) -> InvalidInput:
    raw = _raw()
    raw["teams"] = teams
    path = tmp_path / "people.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        read_directory(path)
    return refused.value


def test_the_example_names_its_three_teams() -> None:
    directory = read_directory(EXAMPLE_PEOPLE)
    names = {t.id: t.name for t in directory.teams}
    assert set(names) == {"tsinghua-tyg", "bjut-cy", "bucea-dc"}
    assert names["tsinghua-tyg"].startswith("清华大学") and names["tsinghua-tyg"].endswith("团队")
    assert names["bjut-cy"].startswith("北京工业大学") and names["bucea-dc"].startswith("北京建筑大学")
    planners_teams = {p.team for p in directory.people if p.team}
    assert planners_teams == set(names)


def test_a_directory_without_teams_and_a_planners_team_not_listed_are_allowed() -> None:
    raw = _raw()
    del raw["teams"]
    assert Directory.model_validate(raw).teams == ()
    raw["teams"] = [{"id": "tsinghua-tyg", "name": "清华大学太阳宫团队"}]  # bjut-cy, bucea-dc not named
    directory = Directory.model_validate(raw)
    assert directory.teams == (Team(id="tsinghua-tyg", name="清华大学太阳宫团队"),)
    assert {p.team for p in directory.people if p.team} >= {"bjut-cy", "bucea-dc"}
    # built in code, like the benchmarks' city
    again = Directory(districts=directory.districts, teams=directory.teams, people=directory.people)
    assert again.teams == directory.teams
    with pytest.raises(ValidationError, match="listed twice"):
        Directory(districts=directory.districts, teams=directory.teams * 2, people=directory.people)


@pytest.mark.parametrize(
    ("teams", "english", "chinese"),
    [
        (
            [{"id": "bjut-cy", "name": "北工大团队", "leader": "x"}],
            "teams[0] (bjut-cy): unknown key 'leader' (a team has an id and a name)",
            "teams[0] (bjut-cy)：未知的键“leader”（团队只有 id 和 name 两项）",
        ),
        (
            [{"id": "bjut-cy"}],
            "teams[0] (bjut-cy): the team's name is missing",
            "teams[0] (bjut-cy)：缺少团队名称",
        ),
        (
            [{"id": "bjut-cy", "name": "   "}],
            "teams[0] (bjut-cy): the team's name is missing",
            "teams[0] (bjut-cy)：缺少团队名称",
        ),
        (
            [{"id": "bjut-cy", "name": "团" * 201}],
            "teams[0] (bjut-cy): the team's name is longer than 200 characters",
            "teams[0] (bjut-cy)：团队名称超过 200 个字符",
        ),
        (
            [{"id": "bjut-cy", "name": "北工大团队"}, {"id": "bjut-cy", "name": "又一个"}],
            "teams[1] (bjut-cy): this team id is listed twice",
            "teams[1] (bjut-cy)：这个团队 id 重复列出",
        ),
        (
            [{"id": "BJUT CY", "name": "北工大团队"}],
            "teams[0]: the id is missing or not like tsinghua-tyg",
            "teams[0]：缺少 id，或 id 不像 tsinghua-tyg 这样",
        ),
        (
            [{"id": "bjut-cy", "name": "北工大\x1b[2J团队"}],
            "teams[0] (bjut-cy): the team's name contains control characters",
            "teams[0] (bjut-cy)：团队名称含有控制字符",
        ),
        (
            [{"id": "b" * 65, "name": "北工大团队"}],
            "teams[0]: the id is missing or not like tsinghua-tyg",
            "teams[0]：缺少 id",
        ),
        (
            [{"id": "bjut-cy\n", "name": "北工大团队"}],
            "teams[0]: the id is missing or not like tsinghua-tyg",
            "teams[0]：缺少 id",
        ),
        (["bjut-cy"], "teams[0]: expected a team with an id and a name", "teams[0]：应为一个团队"),
        ({"bjut-cy": "北工大团队"}, "teams: expected a list of teams", "teams：应为团队列表"),
    ],
)
def test_a_bad_teams_entry_is_refused_in_the_readers_words(
    tmp_path: Path, teams: object, english: str, chinese: str
) -> None:
    refusal = _refusal(tmp_path, teams)
    assert english in error_text(refusal, "en")
    line = error_text(refusal, "zh")
    assert line.startswith("人员名录文件 ") and chinese in line, line
    # the model refuses the same entry when built without the file's reader
    raw = _raw()
    raw["teams"] = teams
    with pytest.raises(ValidationError, match="teams"):
        Directory.model_validate(raw)


def test_every_problem_of_the_section_is_named_at_once(tmp_path: Path) -> None:
    refusal = _refusal(tmp_path, [{"id": "a", "name": "甲"}, {"id": "a"}, {"name": "丙", "lead": 1}])
    line = error_text(refusal, "zh")
    assert "这个团队 id 重复列出" in line and "缺少团队名称" in line and "未知的键“lead”" in line
    assert "缺少 id" in line and line.count("；") == 3
    assert refusal.fields == ("teams[1].id", "teams[1].name", "teams[2].id", "teams[2]")
