"""The web demo's residents (`accompany demo --web`, seeded in-process here without
serving): their answers, comments and ballots come in as a real resident's do on the
public page — the web channel, the resident as actor, no operating-system user — so
the staff's audit log does not show them as typed on the server's command line (命令行,
root); what the planner typed in from paper stays hers."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import create_engine, select

from accompany.db.orm import EventRow
from accompany.demo import run_demo
from accompany.demo_web import build_portfolio
from accompany.models.events import EventKind

pytestmark = pytest.mark.slow

#: the events of a household's own answer, comment or ballot
RESIDENTS_KINDS = tuple(
    kind.value
    for kind in (
        EventKind.NEEDS_ANSWERED,
        EventKind.COMMENT_LEFT,
        EventKind.BALLOT_CAST,
        EventKind.SATISFACTION_ANSWERED,
    )
)


def test_the_residents_actions_come_in_through_the_public_page(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    run_demo(
        database_url=url,
        use_prefect=False,
        keep=False,  # the workdir thrown away; the database (given) stays to be read
        console=Console(file=io.StringIO()),
        then=lambda direct, files: build_portfolio(direct, files, Console(file=io.StringIO())),
    )
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(EventRow.kind, EventRow.actor, EventRow.channel, EventRow.os_user)
            ).all()
    finally:
        engine.dispose()
    kinds = {row.kind for row in rows}
    assert set(RESIDENTS_KINDS) <= kinds, sorted(kinds)
    residents = [row for row in rows if row.actor == "resident"]
    # 13 needs answers online, 4 comments, 19 ballots online, 12 satisfaction answers
    assert len(residents) == 13 + 4 + 19 + 12
    assert {(row.channel, row.os_user) for row in residents} == {("web", None)}
    # the paper answers and ballots the planner typed in: hers, as the CLI records them
    paper = [row for row in rows if row.kind in RESIDENTS_KINDS and row.actor != "resident"]
    assert len(paper) == 2 + 2 and {(row.actor, row.channel) for row in paper} == {("wangrb", "cli")}
