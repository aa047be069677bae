"""`stage undo` (撤回) of a party's signature or return in a joint step (会签/或签),
as typed: only the party who signed, nothing since, the other signatures intact;
each refusal one line with its exit code, nothing changed."""

from __future__ import annotations

import json

import pytest

from .test_cli import db_dump, ok, refused
from .test_cli_joint import PARTIES, START, approve
from .test_cli_joint import joint_env as joint_env  # the joint template

ALL_PARTIES = [*PARTIES, "--party", "supervision=sy-jianli"]


def undo(by: str, reason: str = "签错了", when: str = "2026-03-06T10:10") -> list[str]:
    return ["stage", "undo", "1", "acceptance", "--by", by, "--reason", reason, "--now", when]


def signing(stage: str = "acceptance") -> dict:  # type: ignore[type-arg]
    """The stage as `project show --json` gives it, with the parties signed and awaited."""
    detail = json.loads(ok("project", "show", "1", "--json"))
    found = next(s for s in detail["stages"] if s["key"] == stage)
    signatures = (found["signing"] or {}).get("signatures", [])
    found["signed"] = [s["party"] for s in signatures if s["signed"]]
    found["awaited"] = [s["party"] for s in signatures if not s["signed"]]
    return found


@pytest.fixture
def submitted(joint_env: dict[str, str]) -> dict[str, str]:
    ok(*START, *ALL_PARTIES)
    ok("stage", "done", "1", "acceptance", "--by", "wangrb", "--now", "2026-03-05T10:00")
    return joint_env


def test_a_party_undoes_its_signature(submitted: dict[str, str]) -> None:
    ok(*approve("sy-design", "2026-03-06T10:00"))
    ok(*approve("sy-build", "2026-03-06T10:05"))
    before = db_dump(submitted)
    # another party, the street office: not theirs (4); the design institute: the
    # construction company signed since (5)
    assert "only the person who gave it can" in refused(4, *undo("tyg-jszx"))
    refused(4, *undo("zhaoy"))
    assert "no longer the last thing that happened" in refused(5, *undo("sy-design"))
    refused(2, *undo("sy-build", " "))
    assert db_dump(submitted) == before
    out = ok(*undo("sy-build"))
    assert "the Construction company's signature undone; the joint signing waits for it again" in out
    stage = signing()
    assert stage["state"] == "submitted" and stage["round"] == 1
    assert stage["signed"] == ["design"]
    assert stage["awaited"] == ["developer", "construction", "supervision"]
    events = ok("project", "show", "1", "--events")
    assert "Decision undone" in events and "签错了" in events
    ok(*approve("sy-build", "2026-03-06T10:20"))  # signs again
    assert signing()["signed"] == ["design", "construction"]


def test_a_party_undoes_its_return_of_the_round(submitted: dict[str, str]) -> None:
    ok(*approve("sy-design", "2026-03-06T10:00"))
    ok(
        "stage", "return", "1", "acceptance", "--by", "sy-jianli", "--reason", "监理资料不全",
        "--now", "2026-03-06T10:05",
    )  # fmt: skip
    assert signing()["round"] == 2
    out = ok(*undo("sy-jianli", "退错了"))
    assert "the Supervision's return undone; the round's signatures count again" in out
    stage = signing()
    assert (stage["state"], stage["round"]) == ("submitted", 1)
    assert stage["signed"] == ["design"]


@pytest.mark.zh
def test_in_chinese(submitted: dict[str, str]) -> None:
    ok(*approve("sy-design", "2026-03-06T10:00"))
    ok(*approve("sy-build", "2026-03-06T10:05"))
    line = refused(5, *undo("sy-design"))
    assert line.startswith("错误：") and "（已通过）" in line and "stage.approved" not in line
    out = ok(*undo("sy-build"))
    assert "施工单位的签署已撤回" in out
