"""Joint signing (会签/或签) as typed: parties named at the start, a party's signature
with `stage approve`, `stage show` listing who signed and who is awaited, and the
refusals — each one line with its exit code, nothing changed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from accompany.config.settings import EXAMPLE_PEOPLE

from ..integration.test_joint_signing import JOINT
from .test_cli import db_dump, ok, refused

START = [
    "project", "start", "--template", "joint-acceptance", "--name", "竣工验收会签", "--district", "chaoyang",
    "--street", "taiyanggong", "--community", "太阳宫北社区", "--planner", "wangrb", "--start", "2026-03-02",
    "--by", "zhangl", "--now", "2026-03-02T09:00",
]  # fmt: skip
PARTIES = ["--party", "developer=tyg-jszx", "--party", "design=sy-design", "--party", "construction=sy-build"]


@pytest.fixture
def joint_env(cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "joint.yaml").write_text(yaml.safe_dump(JOINT, allow_unicode=True), "utf-8")
    monkeypatch.setenv("ACCOMPANY_TEMPLATES_DIR", str(templates))
    ok("people", "load", str(EXAMPLE_PEOPLE))
    return cli_env


def approve(by: str, when: str, stage: str = "acceptance") -> list[str]:
    return ["stage", "approve", "1", stage, "--by", by, "--now", when]


def test_a_joint_signing_as_typed(joint_env: dict[str, str]) -> None:
    before = db_dump(joint_env)
    assert "not in the directory" in refused(2, *START, *PARTIES, "--party", "supervision=nobody")
    assert "unknown party role 'designer'" in refused(2, *START, *PARTIES, "--party", "designer=x")
    assert db_dump(joint_env) == before
    # the supervision is chosen later: the start says whom to name, and before which stage
    started = " ".join(ok(*START, *PARTIES).split())
    assert "#1" in started
    assert "note: name the supervision before 竣工验收 (they sign it): accompany project parties 1" in started
    before = db_dump(joint_env)
    done = ["stage", "done", "1", "acceptance", "--by", "wangrb", "--now", "2026-03-05T10:00"]
    line = refused(6, *done)
    assert "the project has no supervision yet" in line and "accompany project parties" in line
    assert db_dump(joint_env) == before
    ok(
        "project",
        "parties",
        "1",
        "--set",
        "supervision=sy-jianli",
        "--by",
        "zhangl",
        "--now",
        "2026-03-04T09:00",
    )
    parties = ok("project", "parties", "1")
    assert "Design institute" in parties and "sy-design" in parties and "tyg-jwh" in parties
    ok(*done)
    out = ok(*approve("sy-design", "2026-03-06T10:00"))
    assert "signed by the Design institute" in out and "awaiting" in out
    shown = " ".join(ok("stage", "show", "1", "acceptance").split())  # as read, not as wrapped
    assert "signed Design institute 示例设计院" in shown
    assert "awaiting Developer 太阳宫街道城市建设事务中心、Construction company 示例建设工程公司" in shown
    before = db_dump(joint_env)
    assert "already signed" in refused(5, *approve("sy-design", "2026-03-06T11:00"))
    refused(4, *approve("zhaoy", "2026-03-06T11:00"))  # the street office waits for the joint step
    refused(4, *approve("tyg-jwh", "2026-03-06T11:00"))  # not a party of this step
    refused(4, "stage", "done", "1", "acceptance", "--by", "sy-build", "--now", "2026-03-06T11:00")
    assert db_dump(joint_env) == before
    for who in ("tyg-jszx", "sy-build", "sy-jianli"):
        ok(*approve(who, "2026-03-06T12:00"))
    assert "Street office" in ok("stage", "show", "1", "acceptance")
    ok(*approve("zhaoy", "2026-03-07T10:00"))
    ok("stage", "done", "1", "residents", "--by", "wangrb", "--now", "2026-03-09T10:00")
    ok(*approve("tyg-ywh", "2026-03-09T11:00", "residents"))
    assert "Completed" in ok("project", "show", "1")


def test_the_coordinator_sets_a_party(joint_env: dict[str, str]) -> None:
    ok(*START, *PARTIES, "--party", "supervision=sy-jianli")
    out = ok(
        "project", "parties", "1", "--set", "expert=linzj", "--by", "zhangl", "--now", "2026-03-03T09:00"
    )
    assert "Expert: — → 林专家" in out
    refused(
        4, "project", "parties", "1", "--set", "expert=linzj", "--by", "wangrb", "--now", "2026-03-03T09:00"
    )
    refused(
        2,
        "project",
        "parties",
        "1",
        "--set",
        "expert=sy-build",
        "--by",
        "zhangl",
        "--now",
        "2026-03-03T09:00",
    )
    # named by mistake: taken off the list again
    out = ok("project", "parties", "1", "--remove", "expert", "--by", "zhangl", "--now", "2026-03-03T10:00")
    assert "Expert: 林专家 → —" in out
    assert "linzj" not in ok("project", "parties", "1")
    line = refused(
        2, "project", "parties", "1", "--remove", "expert", "--by", "zhangl", "--now", "2026-03-03T10:00"
    )
    assert "not named on this project" in line
    # a back-filled edit before the project's last event says which project, once
    line = refused(
        6, "project", "parties", "1", "--set", "expert=linzj", "--by", "zhangl", "--now", "2026-03-03T09:30"
    )
    assert "cannot edit a project at 2026-03-03 09:30 (project #1)" in line


def test_template_validate_names_the_line_of_an_unknown_party(tmp_path: Path) -> None:
    from accompany.config.settings import BUILTIN_TEMPLATES

    body = yaml.safe_load((BUILTIN_TEMPLATES / "accompany-service-v3.yaml").read_text("utf-8"))
    assert "accompany-service@3" in ok(
        "template", "validate", str(BUILTIN_TEMPLATES / "accompany-service-v3.yaml")
    )
    stage = next(s for s in body["stages"] if s["id"] == "completion-acceptance")
    stage["approval"] = [{"all": ["developer", "designer"]}, "street-office"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(body, allow_unicode=True), "utf-8")
    line_no = next(
        i for i, text in enumerate(bad.read_text("utf-8").splitlines(), start=1) if "designer" in text
    )
    line = refused(2, "template", "validate", str(bad))
    assert f"line {line_no}" in line and "approval[0].joint.all[1]" in line and "'design'" in line
