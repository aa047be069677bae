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
