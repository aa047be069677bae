"""A command whose pooled connection the server dropped fails as a database error
("database unavailable" on the command line), and the next command reconnects —
also when the command's first statement runs on the driver's own cursor (the
project's load on PostgreSQL, see ``db.driver_cursor.all_rows``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from accompany.bootstrap import App
from accompany.services import commands
from accompany.services.commands import AttachmentInput, CompleteStage


def complete(app: App, project_id: int, evidence_file: Path) -> None:
    commands.complete_stage(
        app,
        CompleteStage(
            project_id=project_id,
            stage="needs-survey",
            by="wangrb",
            evidence={"households_interviewed": "32", "observation_days": "4"},
            attachments=[AttachmentInput(key="problem_map", path=str(evidence_file))],
        ),
    )


def test_a_dropped_connection_fails_one_command_as_a_database_error(
    people: App, project_id: int, evidence_file: Path
) -> None:
    engine = people.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to drop the connection")
    # every connection the pool holds, dropped by the server
    held = [engine.connect() for _ in range(max(1, engine.pool.checkedin()))]
    pids = [c.exec_driver_sql("SELECT pg_backend_pid()").scalar() for c in held]
    for connection in held:
        connection.rollback()
        connection.close()
    killer = create_engine(engine.url, poolclass=NullPool)
    with killer.connect() as connection:
        for pid in pids:
            connection.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
    killer.dispose()

    with pytest.raises(OperationalError) as failure:
        complete(people, project_id, evidence_file)
    # the command's own statement failed, not a later ROLLBACK of its broken transaction
    assert "FROM project" in (failure.value.statement or ""), failure.value
    # the dropped connections were discarded: the retry runs
    complete(people, project_id, evidence_file)
    with people.reader() as uow:
        assert uow.projects.get(project_id).stages["needs-survey"].state.value == "submitted"
