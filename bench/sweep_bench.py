"""Reminder sweep and delivery figures (issue 4).

    python bench/sweep_bench.py [--projects 10000] [--postgres URL] [--reuse]

1. the sweep's decision step over a synthetic city (10,000 projects, ~80,000 stage
   instances) next to two floors, each ONE hand-written SQL query:
   - "filter": the candidate stages (open and due within the reminder horizon or
     overdue, or waiting for approval) — a superset, no working-day arithmetic;
   - "same stages": exactly the stages that need a reminder or escalation today,
     with working days counted in SQL against a calendar table built for the
     benchmark (date → cumulative working days; the application does not need it);
   goal: decision ≤ 2 s and within 3× of the floor;
2. delivery: N event notifications dispatched through real Apprise to a local
   json:// HTTP receiver, in messages per second (goal ≥ 200/s).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from accompany.bootstrap import App, build_app, dispose_engines
from accompany.clock import FixedClock
from accompany.config.settings import Settings
from accompany.models.reminders import Intent, NotificationKind
from accompany.services.dispatch import dispatch
from accompany.services.reminders import decide
from bench.synthetic import TODAY, build_city
from tests.receivers import HttpReceiver, apprise_yaml

FILTER_SQL = """
SELECT s.id, s.project_id, s.key, s.state, s.due_date, s.submitted_at, s.round,
       p.name, p.district_id, p.street_id, p.planner_id
FROM stage s JOIN project p ON p.id = s.project_id
WHERE p.status = 'active'
  AND ((s.state = 'in_progress' AND s.paused_since IS NULL AND s.due_date IS NOT NULL
        AND s.due_date <= :horizon)
       OR s.state = 'submitted')
"""

# before: ≤ 3 working days left; on the day; overdue (any); waiting ≥ 3 working days
SAME_STAGES_SQL = """
SELECT s.id, s.project_id, s.key, s.state, p.planner_id, p.street_id, p.district_id
FROM stage s
JOIN project p ON p.id = s.project_id
JOIN bench_workday t ON t.day = :today
LEFT JOIN bench_workday d ON d.day = s.due_date
LEFT JOIN bench_workday w ON w.day = {submitted_day}
WHERE p.status = 'active'
  AND ((s.state = 'in_progress' AND s.paused_since IS NULL AND s.due_date IS NOT NULL
        AND (s.due_date <= :today OR d.cum - t.cum <= 3))
       OR (s.state = 'submitted' AND s.waiting_for IS NOT NULL AND t.cum - w.cum >= 3))
"""
SUBMITTED_DAY = {
    "sqlite": "date(s.submitted_at, '+8 hours')",
    "postgresql": "CAST((s.submitted_at AT TIME ZONE 'Asia/Shanghai') AS DATE)",
}


def build_workday_table(app: App) -> None:
    """date → working days counted since 2004, for the "same stages" floor."""
    with app.uow() as uow:
        connection = uow.session.connection()
        connection.execute(text("DROP TABLE IF EXISTS bench_workday"))
        connection.execute(text("CREATE TABLE bench_workday (day DATE PRIMARY KEY, cum INTEGER NOT NULL)"))
        day, cum, rows = dt.date(2004, 1, 1), 0, []
        while day <= dt.date(2040, 12, 31):
            cum += app.calendar.is_working_day(day)
            rows.append({"day": day, "cum": cum})
            day += dt.timedelta(days=1)
        connection.execute(text("INSERT INTO bench_workday (day, cum) VALUES (:day, :cum)"), rows)
        uow.commit()


def median_time(fn: Callable[[], Any], runs: int = 7) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def sweep_figures(url: str) -> dict[str, Any]:
    now = dt.datetime.combine(TODAY, dt.time(1), dt.UTC)
    app = build_app(Settings(home=Path(tempfile.mkdtemp())), database_url=url, clock=FixedClock(now))
    horizon = app.calendar.add_working_days(TODAY, 3).value
    build_workday_table(app)
    same_sql = text(SAME_STAGES_SQL.format(submitted_day=SUBMITTED_DAY[app.engine.dialect.name]))
    decide(app, TODAY)  # warm the template cache and the connection pool

    def candidates() -> int:
        with app.reader() as uow:
            return len(uow.session.execute(text(FILTER_SQL), {"horizon": horizon}).all())

    def same_stages() -> set[tuple[int, str]]:
        with app.reader() as uow:
            return {(r.project_id, r.key) for r in uow.session.execute(same_sql, {"today": TODAY})}

    filter_s, candidate_count = median_time(candidates)
    same_s, due = median_time(same_stages)
    decide_s, (_, intents) = median_time(lambda: decide(app, TODAY))
    decided = {(i.project_id, i.stage) for i in intents}
    assert decided == due, f"decision and SQL disagree on {len(decided ^ due)} stages"
    return {
        "candidates": candidate_count,
        "due_stages": len(due),
        "intents": len(intents),
        "decide_s": decide_s,
        "filter_s": filter_s,
        "same_s": same_s,
    }


def delivery_figures(url: str, messages: int) -> dict[str, Any]:
    receiver = HttpReceiver()
    folder = Path(tempfile.mkdtemp())
    config = folder / "apprise.yaml"
    config.write_text(apprise_yaml({receiver.url("bench"): "person-bench"}), encoding="utf-8")
    now = dt.datetime.combine(TODAY, dt.time(2), dt.UTC)
    settings = Settings(home=folder, apprise_config=config, dispatch_concurrency=16, dispatch_batch=500)
    app = build_app(settings, database_url=url, clock=FixedClock(now))
    stamp = time.time_ns()
    payload = {"project_id": 1, "project": "bench", "stage": "needs-survey", "stage_name": "需求调研"}
    intents = [
        Intent(
            "person:bench", NotificationKind.STAGE_APPROVED, 1, "needs-survey", f"bench-{stamp}-{i}", payload
        )
        for i in range(messages)
    ]
    with app.uow() as uow:
        uow.outbox.queue(intents, now=now, not_before=now)
        uow.commit()
    started = time.perf_counter()
    result = dispatch(app, app.notifier())
    elapsed = time.perf_counter() - started
    receiver.stop()
    assert result.sent == messages and len(receiver.delivered) == messages, (result, len(receiver.delivered))
    return {"messages": messages, "seconds": elapsed, "per_second": messages / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=2_000)
    parser.add_argument("--sqlite", default="sqlite:////tmp/accompany-city.db")
    parser.add_argument("--postgres", help="also measure on this PostgreSQL URL (its tables are emptied)")
    parser.add_argument("--reuse", action="store_true", help="reuse an existing synthetic city")
    options = parser.parse_args()
    targets = [("SQLite", options.sqlite)] + ([("PostgreSQL", options.postgres)] if options.postgres else [])
    for label, url in targets:
        if not options.reuse:
            print(f"building a city of {options.projects} projects on {label} …", file=sys.stderr)
            print(f"  {build_city(url, options.projects, quiet=True)}", file=sys.stderr)
    print("reminder sweep decision (median of 7)")
    header = f"{'':12}{'candidates':>11}{'due stages':>11}{'reminders':>10}{'decide':>9}"
    print(header + f"{'1 SQL: filter':>15}{'1 SQL: same':>13}{'ratio':>7}")
    for label, url in targets:
        f = sweep_figures(url)
        counts = f"{label:12}{f['candidates']:>11}{f['due_stages']:>11}{f['intents']:>10}"
        times = f"{f['decide_s'] * 1000:>7.1f}ms{f['filter_s'] * 1000:>13.1f}ms{f['same_s'] * 1000:>11.1f}ms"
        print(counts + times + f"{f['decide_s'] / f['same_s']:>6.1f}×")
    print()
    print("delivery through Apprise to a local json:// receiver")
    print(f"{'':12}{'messages':>10}{'seconds':>10}{'msg/s':>8}")
    for label, url in targets:
        d = delivery_figures(url, options.messages)
        print(f"{label:12}{d['messages']:>10}{d['seconds']:>10.2f}{d['per_second']:>8.0f}")
        dispose_engines()


if __name__ == "__main__":
    main()
