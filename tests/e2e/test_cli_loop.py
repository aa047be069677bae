"""`accompany stage loop` as typed: a failed consent sends the project back to the
design proposal for a new round; each refusal one line with its exit code, the
database unchanged; the new round's tally starts from zero."""

from __future__ import annotations

import json

from .test_cli import db_dump, ok, refused
from .test_cli_consent import codes  # noqa: F401  (the fixture)


def loop(*extra: str) -> tuple[str, ...]:
    return ("stage", "loop", "1", *extra)


def test_a_failed_consent_loops_back(codes: list[str], cli_env: dict[str, str]) -> None:  # noqa: F811
    ok("consent", "record", "1", codes[0], "agree", "--by", "wangrb", "--paper")
    ok("consent", "record", "1", codes[1], "disagree", "--by", "wangrb", "--paper")
    ok("consent", "record", "1", codes[2], "disagree", "--by", "wangrb", "--paper")
    # the refusal of `stage done` names both ways forward
    line = refused(6, "stage", "done", "1", "resident-consent", "--by", "wangrb")
    assert "accompany stage loop" in line and "accompany project cancel" in line

    before = db_dump(cli_env)
    assert "only its planner or a coordinator" in refused(
        4, *loop("resident-consent", "--by", "zhaoy", "--reason", "x")
    )
    refused(2, *loop("resident-consent", "--by", "wangrb"))  # no --reason
    assert "needs a reason" in refused(2, *loop("resident-consent", "--by", "wangrb", "--reason", " "))
    assert "unknown stage 'nope'" in refused(3, *loop("nope", "--by", "wangrb", "--reason", "x"))
    assert "declares no loop" in refused(5, *loop("needs-survey", "--by", "wangrb", "--reason", "x"))
    assert db_dump(cli_env) == before

    # an extension asked for this round: the new round withdraws it (nobody decides it)
    ok(
        "stage",
        "extend",
        "1",
        "resident-consent",
        "--by",
        "wangrb",
        "--days",
        "5",
        "--reason",
        "入户需更多时间",
    )
    out = ok(*loop("居民意见征询", "--by", "王若冰", "--reason", "多数居民反对，修改方案"))
    assert "back to Design proposal for round 2" in out
    assert "the extension request of 5 working days is withdrawn (a new round)" in " ".join(out.split())
    logged = " ".join(ok("project", "show", "1", "--events").split())  # as read, not as wrapped
    assert "extension: 5 working days: 入户需更多时间; withdrawn: a new round started" in logged
    assert "│ Extension request │" in logged and "(入户需更多时间): │" in logged  # the audit log's row
    shown = json.loads(ok("project", "show", "1", "--json"))
    states = {s["key"]: (s["state"], s["round"]) for s in shown["stages"]}
    assert states["design-proposal"] == ("in_progress", 2)
    assert states["plan-presentation"] == ("pending", 2) and states["resident-consent"] == ("pending", 2)
    # the old round's ballots are archived: the new tally starts from zero
    assert json.loads(ok("consent", "tally", "1", "--json"))["participating"]["households"] == 0
    # nothing left to loop: the consent stage is not in progress
    assert "not in progress" in refused(5, *loop("resident-consent", "--by", "wangrb", "--reason", "x"))


def test_a_passing_tally_or_a_cancelled_project_is_refused(
    codes: list[str],  # noqa: F811
    cli_env: dict[str, str],
) -> None:
    for code in codes:
        ok("consent", "record", "1", code, "agree", "--by", "wangrb", "--paper")
    before = db_dump(cli_env)
    assert "passes" in refused(5, *loop("resident-consent", "--by", "wangrb", "--reason", "x"))
    assert db_dump(cli_env) == before
    ok("project", "cancel", "1", "--by", "zhaoy", "--reason", "撤销立项")
    cancelled = db_dump(cli_env)
    assert "cancelled" in refused(5, *loop("resident-consent", "--by", "wangrb", "--reason", "x"))
    assert db_dump(cli_env) == cancelled
