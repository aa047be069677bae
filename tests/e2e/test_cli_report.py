"""`accompany report quarterly` as typed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accompany.config.settings import EXAMPLE_PEOPLE

from .test_cli import db_dump, ok, refused, start_args


@pytest.fixture
def portfolio(cli_env: dict[str, str]) -> None:
    ok("people", "load", str(EXAMPLE_PEOPLE))
    ok(*start_args(start="2026-07-06", now="2026-07-06T09:00"))
    ok(
        *start_args(
            name="酒仙桥步道",
            street="jiuxianqiao",
            planner="chenm",
            by="liuq",
            start="2026-08-03",
            now="2026-08-03T09:00",
        )
    )


def test_formats_and_files(portfolio: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = json.loads(
        ok("report", "quarterly", "--quarter", "2026Q3", "--format", "json", "--now", "2026-10-09T09:00")
    )
    assert data["quarter"] == "2026Q3" and data["complete_quarter"] is True
    assert data["summary"]["projects_started"] == 2 and data["summary"]["overdue_now"] == 2
    assert len(data["meta"]["inputs_sha256"]) == 64
    csv_text = ok(
        "report",
        "quarterly",
        "--quarter",
        "2026Q3",
        "--format",
        "csv",
        "--lang",
        "en",
        "--now",
        "2026-10-09T09:00",
    )
    # a BOM, then the table (no comment line), then its about section after a blank line
    assert csv_text.startswith("\ufefflevel,district,street")
    _, about = csv_text.split("\n\n", 1)
    assert data["meta"]["inputs_sha256"] in about and "data cut-off" in about
    out = ok(
        "report", "quarterly", "--quarter", "2026Q3", "--out", str(tmp_path), "--now", "2026-10-09T09:00"
    )
    assert (tmp_path / "accompany-2026Q3-all.xlsx").exists() and "inputs sha256" in out
    # a folder whose name has a dot is still a folder, not a format
    dotted = tmp_path / "reports.2026"
    dotted.mkdir()
    ok("report", "quarterly", "--quarter", "2026Q3", "--out", str(dotted), "--now", "2026-10-09T09:00")
    assert (dotted / "accompany-2026Q3-all.xlsx").exists()
    ok("report", "quarterly", "--quarter", "2026Q3", "--out", str(dotted / "r.csv"), "--now", "2026-10-09")
    assert (dotted / "r-about.csv").exists()
    ok(
        "report",
        "quarterly",
        "--quarter",
        "2026Q3",
        "--street",
        "太阳宫街道",
        "--out",
        str(tmp_path / "ty.html"),
        "--now",
        "2026-10-09T09:00",
    )
    assert "<svg" in (tmp_path / "ty.html").read_text(encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    ok("report", "quarterly", "--quarter", "2026Q3", "--district", "朝阳区", "--now", "2026-10-09T09:00")
    assert (tmp_path / "accompany-2026Q3-chaoyang.xlsx").exists()


def test_bad_input(portfolio: None, cli_env: dict[str, str], tmp_path: Path) -> None:
    before = db_dump(cli_env)
    assert "not a quarter like 2026Q4" in refused(2, "report", "quarterly", "--quarter", "Q3-2026")
    assert "not one of xlsx" in refused(2, "report", "quarterly", "--quarter", "2026Q3", "--format", "pdf")
    assert "has not started" in refused(
        2, "report", "quarterly", "--quarter", "2027Q1", "--now", "2026-10-09"
    )
    assert "unknown street 'atlantis'" in refused(
        3, "report", "quarterly", "--quarter", "2026Q3", "--street", "atlantis"
    )
    assert "does not exist" in refused(
        2,
        "report",
        "quarterly",
        "--quarter",
        "2026Q3",
        "--out",
        str(tmp_path / "missing" / "r.xlsx"),
        "--now",
        "2026-10-09",
    )
    assert db_dump(cli_env) == before
