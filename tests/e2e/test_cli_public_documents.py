"""`accompany attachment publish` / `unpublish` as typed: the planner makes an evidence
file public (text and JSON; a second time says so), the public page then serves it;
a planner of another project of the street is refused in one line, an unknown or
malformed id too, and the database is unchanged."""

from __future__ import annotations

import json
from pathlib import Path

from .test_cli import START, db_dump, ok, refused


def _started_with_a_file(tmp_path: Path) -> None:
    from accompany.config.settings import EXAMPLE_PEOPLE

    ok("people", "load", str(EXAMPLE_PEOPLE))
    ok(*START)
    problem_map = tmp_path / "问题地图.pdf"
    problem_map.write_bytes(b"%PDF map")
    ok(
        "stage", "done", "1", "needs-survey", "--by", "wangrb",
        "-e", "households_interviewed=36", "-e", "observation_days=5",
        "--attach", f"problem_map={problem_map}", "--now", "2026-03-30T10:00",
    )  # fmt: skip


def test_publish_and_unpublish_an_evidence_file(cli_env: dict[str, str], tmp_path: Path) -> None:
    _started_with_a_file(tmp_path)
    out = ok("attachment", "publish", "1", "--by", "wangrb", "--now", "2026-03-30T11:00")
    assert "问题地图.pdf (#1) is public on the page of project #1" in out
    out = ok("attachment", "publish", "1", "--by", "王若冰")
    assert "was already public" in out
    ok("public", "publish", "1", "--by", "zhangl")

    from accompany.bootstrap import build_app
    from accompany.services.public_documents import public_documents

    app = build_app(database_url=cli_env["ACCOMPANY_DATABASE_URL"])
    assert [d.filename for d in public_documents(app, 1)] == ["问题地图.pdf"]

    data = json.loads(ok("attachment", "unpublish", "1", "--by", "zhangl", "--json"))
    assert data == {
        "project_id": 1,
        "attachment_id": 1,
        "filename": "问题地图.pdf",
        "public": False,
        "changed": True,
    }
    assert public_documents(app, 1) == []
    assert "was not public" in ok("attachment", "unpublish", "1", "--by", "zhangl")
    # the audit log: once made public (by the planner), once private again (the coordinator)
    log = json.loads(ok("project", "show", "1", "--json"))["events"]
    marks = [(e["kind"], e["actor"]) for e in log if e["kind"].startswith("attachment.")]
    assert marks == [("attachment.published", "wangrb"), ("attachment.unpublished", "zhangl")]


def test_refusals_are_one_line_and_change_nothing(cli_env: dict[str, str], tmp_path: Path) -> None:
    _started_with_a_file(tmp_path)
    before = db_dump(cli_env)
    line = refused(4, "attachment", "publish", "1", "--by", "chenm")
    assert "陈敏" in line and "only a coordinator of its street or its planner can" in line
    assert "unknown attachment 1" in refused(3, "attachment", "publish", "1", "--by", "hel")
    assert "unknown attachment 999" in refused(3, "attachment", "publish", "999", "--by", "wangrb")
    assert "not an attachment id" in refused(2, "attachment", "unpublish", "../1", "--by", "wangrb")
    assert db_dump(cli_env) == before
