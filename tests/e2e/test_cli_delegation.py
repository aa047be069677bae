"""`people delegate / delegations / end-delegation` and a substitute's decision, as a
user types them."""

from __future__ import annotations

import json
from pathlib import Path

from .test_cli import db_dump, ok, refused
from .test_cli import started as started


def test_a_substitute_approves_for_the_delegator(started: Path, cli_env: dict[str, str]) -> None:
    out = ok(
        "people",
        "delegate",
        "zhaoy",
        "--to",
        "李静",
        "--from",
        "2026-03-05",
        "--until",
        "2026-03-20",
        "--by",
        "zhaoy",
        "--reason",
        "出差",
        "--now",
        "2026-03-02T09:00",
    )
    assert "delegation #1: 李静 decides for zhaoy from 2026-03-05 to 2026-03-20" in out
    listed = json.loads(ok("people", "delegations", "--json"))
    assert [(d["delegator"], d["substitute"], d["reason"]) for d in listed] == [("zhaoy", "lij", "出差")]
    assert "lij" in ok("people", "delegations", "lij")
    ok(
        "stage",
        "done",
        "1",
        "needs-survey",
        "--by",
        "wangrb",
        "-e",
        "households_interviewed=36",
        "-e",
        "observation_days=5",
        "--attach",
        f"problem_map={started}",
        "--now",
        "2026-03-10T10:00",
    )
    # before the range 李静 is not the street office of 太阳宫; in it she decides for 赵阳
    line = refused(4, "stage", "approve", "1", "needs-survey", "--by", "lij", "--now", "2026-03-04T10:00")
    assert "李静 is not the street office" in line
    ok("stage", "approve", "1", "needs-survey", "--by", "lij", "--now", "2026-03-11T10:00")
    shown = ok("project", "show", "1", "--events", "--now", "2026-03-11T12:00")
    assert "李静 (for 赵阳)" in shown
    # the stage's decision itself, not only the audit log, says for whom
    overview = ok("project", "show", "1", "--now", "2026-03-11T12:00")
    # the stages table's last column (Latest), its wrapped lines joined
    latest = " ".join(row.split("│")[-2].strip() for row in overview.splitlines() if row.startswith("│"))
    assert "Street office approved 李静 (for 赵阳) 2026-03-11 10:00" in latest, overview
    assert "李静 (for 赵阳)" in ok("stage", "show", "1", "needs-survey", "--now", "2026-03-11T12:00")
    [stage, *_] = json.loads(ok("project", "show", "1", "--json", "--now", "2026-03-11T12:00"))["stages"]
    [approval] = stage["approvals"]
    assert (approval["by"], approval["on_behalf_of"], approval["on_behalf_of_name"]) == (
        "lij",
        "zhaoy",
        "赵阳",
    )
    # ending it: the substitute no longer decides
    out = ok("people", "end-delegation", "1", "--by", "zhaoy", "--now", "2026-03-12T09:00")
    assert "delegation #1 ended" in out
    assert json.loads(ok("people", "delegations", "--json"))[0]["status"] == "ended"


def test_bad_delegations_are_one_line_and_change_nothing(started: Path, cli_env: dict[str, str]) -> None:
    before = db_dump(cli_env)
    base = ("people", "delegate", "zhaoy", "--by", "zhaoy", "--now", "2026-03-02T09:00")
    assert "own substitute" in refused(
        2, *base, "--to", "zhaoy", "--from", "2026-03-05", "--until", "2026-03-06"
    )
    assert "another district" in refused(
        2, *base, "--to", "guoj", "--from", "2026-03-05", "--until", "2026-03-06"
    )
    assert "before it starts" in refused(
        2, *base, "--to", "lij", "--from", "2026-03-06", "--until", "2026-03-05"
    )
    assert "at most 180 days" in refused(
        2, *base, "--to", "lij", "--from", "2026-03-05", "--until", "2026-12-31"
    )
    assert "unknown person" in refused(
        3, *base, "--to", "nobody", "--from", "2026-03-05", "--until", "2026-03-06"
    )
    assert "not a date" in refused(2, *base, "--to", "lij", "--from", "March", "--until", "2026-03-06")
    assert "no delegation #9" in refused(3, "people", "end-delegation", "9", "--by", "zhaoy")
    assert db_dump(cli_env) == before
