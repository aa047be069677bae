"""`accompany stage grant-extension` on a request its stage's submission withdrew: a
one-line conflict (exit 5), the database unchanged; a new request on a closed stage
is refused the same way."""

from __future__ import annotations

from pathlib import Path

from .test_cli import db_dump, ok, refused, started  # noqa: F401  (the fixture)


def test_a_request_withdrawn_by_the_submission_is_not_granted(
    started: Path,  # noqa: F811
    cli_env: dict[str, str],
) -> None:
    ok(
        *("stage", "extend", "1", "needs-survey", "--by", "wangrb", "--days", "5", "--reason", "居民外出"),
        "--now",
        "2026-03-27T10:00",
    )
    out = ok(
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
        "2026-03-30T10:00",
    )
    assert "withdrawn (nothing left to extend)" in " ".join(out.split())
    ok("stage", "approve", "1", "needs-survey", "--by", "zhaoy", "--now", "2026-03-31T10:00")
    before = db_dump(cli_env)
    line = refused(
        5, "stage", "grant-extension", "1", "needs-survey", "--by", "zhaoy", "--now", "2026-03-31T11:00"
    )
    assert "no longer waits for a decision" in line
    line = refused(
        5,
        "stage",
        "extend",
        "1",
        "needs-survey",
        "--by",
        "wangrb",
        "--days",
        "5",
        "--reason",
        "x",
        "--now",
        "2026-03-31T11:00",
    )
    assert "already approved" in line
    assert db_dump(cli_env) == before
