"""`project list --json` builds its records from plain rows (no model per project);
they must say exactly what the models say, whatever fields the models gain."""

from __future__ import annotations

import json

import pytest

from accompany.bootstrap import App
from accompany.clock import FixedClock, parse_moment
from accompany.services.queries import list_projects


@pytest.mark.parametrize(
    ("now", "filters"),
    [
        ("2026-11-24T09:00", {}),
        ("2026-11-24T09:00", {"overdue_only": True}),
        ("2026-07-01T09:00", {"district": "dongcheng"}),
        ("2026-11-24T09:00", {"limit": 7}),
    ],
)
def test_the_lean_records_are_the_models_records(
    app: App, db_url: str, clock: FixedClock, now: str, filters: dict[str, object]
) -> None:
    from bench.synthetic import build_city

    build_city(db_url, 60, quiet=True)
    clock.moment = parse_moment(now)
    records, total = list_projects(app, records=True, **filters)  # type: ignore[arg-type]
    models, model_total = list_projects(app, **filters)  # type: ignore[arg-type]
    assert records and total == model_total
    assert json.dumps(records, ensure_ascii=False) == json.dumps(
        [m.model_dump(mode="json") for m in models], ensure_ascii=False
    )


def test_the_page_reaches_its_stages_through_the_stage_index(people: App, project_id: int) -> None:
    """The portfolio's one statement joins the page's stages by the stage table's
    index. Numbered in a subquery and joined to the page afterwards, they left SQLite
    two unindexed results to match row by row: `project list --json --limit 10000`
    took 45 s on the synthetic city instead of 3 s (the same output)."""
    from sqlalchemy import event

    if people.engine.dialect.name != "sqlite":
        pytest.skip("the plan is SQLite's (PostgreSQL hashes or sorts either shape)")
    seen: list[tuple[str, object]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "WITH page AS" in statement:
            seen.append((statement, parameters))

    event.listen(people.engine, "before_cursor_execute", keep)
    try:
        assert list_projects(people)
    finally:
        event.remove(people.engine, "before_cursor_execute", keep)
    statement, parameters = seen[0]
    with people.engine.connect() as connection:
        plan = [row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
    assert any(step.startswith("SEARCH") and " stage " in f" {step} " for step in plan), plan
    assert not any(step.startswith("SCAN") and "LEFT-JOIN" in step for step in plan), plan
