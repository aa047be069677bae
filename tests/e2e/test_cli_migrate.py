"""`template migrate` as a user types it: the plan of a dry run, the move, the audit
log line, and refusals as one line with the rule-violation exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accompany.config.settings import EXAMPLE_PEOPLE

from .test_cli import db_dump, ok, refused, start_args

FIXTURES = Path(__file__).parent.parent / "fixtures" / "migration"
MAPPING = FIXTURES / "mapping.yaml"


@pytest.fixture
def people(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("ACCOMPANY_TEMPLATES_DIR", str(FIXTURES / "templates"))
    ok("people", "load", str(EXAMPLE_PEOPLE))
    return cli_env


def pocket_project(name: str = "口袋公园", **more: str) -> None:
    ok(
        *start_args(
            template="pocket-park@1",
            name=name,
            stage_deadline="build=2026-10-30",
            now="2026-03-02T09:00",
            **more,
        )
    )


@pytest.mark.zh
def test_dry_run_then_move_v1_to_v2_and_the_audit_log_says_so(people: dict[str, str]) -> None:
    ok(*start_args(template="accompany-service@1"))
    before = db_dump(people)
    plan = ok(
        "template", "migrate", "1", "--to", "accompany-service@2", "--dry-run", "--now", "2026-03-03T09:00"
    )
    assert "项目 #1「太阳宫北街口袋公园更新」：accompany-service@1 → accompany-service@2" in plan
    assert "需求调研 (needs-survey)" in plan and "保留：2026-04-14" in plan
    assert "试运行：未做任何改动（--dry-run）" in plan
    assert db_dump(people) == before
    out = ok("template", "migrate", "1", "--to", "accompany-service@2", "--now", "2026-03-03T09:00")
    assert "✓ 已将 1 个项目迁移到 accompany-service@2" in out
    shown = ok("project", "show", "1", "--events", "--now", "2026-03-03T09:00")
    assert "模板迁移" in shown and "accompany-service@1 → @2" in shown
    line = refused(6, "template", "migrate", "1", "--to", "accompany-service@2", "--now", "2026-03-03T10:00")
    assert (
        line == "错误：项目 #1 不能迁移到 accompany-service@2：项目已在 accompany-service@2 上；未做任何改动"
    )


def test_renamed_added_removed_stages_in_the_plan_and_refusals(
    people: dict[str, str], tmp_path: Path
) -> None:
    pocket_project(param="legacy_days=4")  # a parameter version 2 no longer has
    pocket_project("第二个口袋公园")
    for stage, evidence, day in (("survey", "households=12", "03"), ("design", "summary=方案", "04")):
        ok(
            "stage",
            "done",
            "2",
            stage,
            "--by",
            "wangrb",
            "--evidence",
            evidence,
            "--now",
            f"2026-03-{day}T09:00",
        )
        ok("stage", "approve", "2", stage, "--by", "zhaoy", "--now", f"2026-03-{day}T10:00")
    before = db_dump(people)
    removing = tmp_path / "drop-design.yaml"
    removing.write_text("stages: {design: null, briefing: null}\n", "utf-8")
    line = refused(
        6, "template", "migrate", "1", "2", "--to", "pocket-park@2", "--mapping", str(removing),
        "--now", "2026-03-06T09:00",
    )  # fmt: skip
    assert "project #2 cannot move to pocket-park@2: stage Design is approved" in line
    assert "lose approved work" in line
    assert db_dump(people) == before
    refused(3, "template", "migrate", "9", "--to", "pocket-park@2", "--now", "2026-03-06T09:00")
    refused(2, "template", "migrate", "1", "--to", "pocket-park@2", "--mapping", str(EXAMPLE_PEOPLE))
    listed = tmp_path / "listed-mapping.yaml"
    listed.write_text("- design\n", "utf-8")
    line = refused(2, "template", "migrate", "1", "--to", "pocket-park@2", "--mapping", str(listed))
    assert "the stage mapping must read stages: {old-id: new-id | null}" in line
    assert db_dump(people) == before
    plan = ok(
        "template", "migrate", "--from", "pocket-park@1", "--to", "pocket-park@2", "--mapping", str(MAPPING),
        "--dry-run", "--now", "2026-03-06T09:00",
    )  # fmt: skip
    for words in (
        "renamed",
        "Design (design)",
        "Design proposal (design-proposal)",
        "added",
        "Site review",
        "removed",
        "Briefing (briefing)",
        "parameters dropped (unknown to pocket-park@2): legacy_days",
    ):
        assert words in plan, words  # fmt: skip
    out = ok(
        "template", "migrate", "--from", "pocket-park@1", "--to", "pocket-park@2", "--mapping", str(MAPPING),
        "--by", "zhangl", "--json", "--now", "2026-03-06T09:00",
    )  # fmt: skip
    moved = json.loads(out)
    assert [p["project_id"] for p in moved["projects"]] == [1, 2]
    review = next(s for s in moved["projects"][1]["stages"] if s["to"] == "site-review")
    # the design was approved: the added review starts with the move
    assert (review["change"], review["state"], review["deadline"]) == (
        "added",
        "in_progress",
        "from-migration",
    )
    detail = json.loads(ok("project", "show", "2", "--json", "--now", "2026-03-06T09:00"))
    assert detail["template"] == "pocket-park@2"
    assert [s["key"] for s in detail["stages"]] == ["survey", "design-proposal", "site-review", "build"]
