"""Alembic migrations on SQLite and PostgreSQL: they build exactly the schema the
models describe, and an upgrade from an older revision keeps the data."""

from __future__ import annotations

import datetime as dt

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from accompany.bootstrap import App
from accompany.clock import parse_moment
from accompany.db.engine import make_engine
from accompany.db.orm import Base
from accompany.db.schema import current_revision, downgrade, script_head, upgrade
from accompany.migrations import HEAD
from accompany.services import commands
from accompany.services.commands import AttachmentInput, CompleteStage, DecideApproval
from accompany.services.queries import show_project


def test_head_constant_matches_the_scripts() -> None:
    assert script_head() == HEAD


def test_migrations_build_what_the_models_describe(app: App) -> None:
    with app.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    assert current_revision(app.engine) == HEAD


def test_upgrade_from_0002_keeps_data_and_backfills_waiting_for(
    db_url: str,
    people: App,
    project_id: int,
    evidence_file,
    clock,  # type: ignore[no-untyped-def]
) -> None:
    clock.moment = parse_moment("2026-06-01T10:00")
    # take the project to completion-acceptance, done and approved at the first of two levels
    commands.complete_stage(
        people,
        CompleteStage(
            project_id=project_id,
            stage="needs-survey",
            by="wangrb",
            evidence={"households_interviewed": "40", "observation_days": "3"},
            attachments=[AttachmentInput(key="problem_map", path=str(evidence_file))],
        ),
    )
    before = show_project(people, project_id, with_events=True)
    engine = make_engine(db_url)
    downgrade(engine, "0002")
    assert current_revision(engine) == "0002"
    with engine.connect() as connection:
        columns = list(connection.execute(text("SELECT * FROM stage")).keys())
    assert "waiting_for" not in columns
    upgrade(engine)
    assert current_revision(engine) == HEAD
    after = show_project(people, project_id, with_events=True)
    # every stage, evidence, approval and event survived (but the events' channel and
    # OS user, which revision 0004 added: a downgrade below it drops them)
    assert _without_origin(after.model_dump()) == _without_origin(before.model_dump()), _diff(
        _without_origin(before.model_dump()), _without_origin(after.model_dump())
    )
    assert after.stages[0].waiting_for == "street-office"  # backfilled from the approvals
    # the upgraded database takes the next decision: the backfilled waiting_for is cleared
    outcome = commands.decide_approval(
        people, DecideApproval(project_id=project_id, stage="needs-survey", by="zhaoy", decision="approve")
    )
    assert outcome.kinds()[:3] == ["stage.approved", "stage.activated", "stage.deadline_set"]
    survey, needs_list = show_project(people, project_id).stages[:2]
    assert (survey.state, survey.waiting_for) == ("approved", None)
    assert (needs_list.key, needs_list.state, needs_list.timing.due) == (
        "needs-list",
        "in_progress",
        dt.date(2026, 6, 15),  # 10 working days after Mon 2026-06-01
    )
    engine.dispose()


def _without_origin(detail: dict) -> dict:  # type: ignore[type-arg]
    events = [{k: v for k, v in e.items() if k not in ("channel", "os_user")} for e in detail["events"]]
    return {**detail, "events": events}


def _diff(a, b, path=""):  # type: ignore[no-untyped-def]
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in set(a) | set(b) for d in _diff(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _diff(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]
