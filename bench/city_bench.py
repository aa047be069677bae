"""All the production figures in one run, SQLite and PostgreSQL side by side (issue 6).

    python bench/city_bench.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/accompany_bench

Builds a synthetic city (333 streets, 10,000 projects, ~80,000 stage instances,
~1,000,000 events — bench/synthetic.py) in each database (its tables are emptied;
--reuse keeps an existing one), then measures, each next to its floor:

- stage transitions per second through the service layer (planner marks a stage
  done with its evidence, then the approvals it needs), one thread — floor: one raw
  UPDATE + COMMIT per transition on the same engine;
- the reminder sweep's decision — floor: one SQL query returning the same stages;
- the quarterly report (2026Q3) — floor: one SQL aggregation over the same events;
- a person's CLI command (`accompany stage done`, a fresh process each time) —
  floor: Python start-up + SQLAlchemy + one commit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select, text

from accompany.bootstrap import App, build_app, dispose_engines
from accompany.clock import FixedClock
from accompany.config.settings import BUILTIN_TEMPLATES, Settings
from accompany.db.orm import ProjectRow, StageRow
from accompany.models.report import Quarter
from accompany.services import commands
from accompany.services.reports import quarterly_report
from accompany.templates import read_template_file
from bench.report_bench import AGGREGATE_SQL
from bench.sweep_bench import sweep_figures
from bench.synthetic import EVIDENCE, FILES, build_city

NOW = dt.datetime(2026, 11, 24, 2, tzinfo=dt.UTC)


def open_stages(app: App, limit: int, offset: int = 0) -> list[Any]:
    with app.reader() as uow:
        return uow.session.execute(
            select(
                StageRow.project_id,
                StageRow.key,
                ProjectRow.planner_id,
                ProjectRow.street_id,
                ProjectRow.district_id,
            )
            .join(ProjectRow)
            .where(
                StageRow.state == "in_progress",
                StageRow.paused_since.is_(None),
                StageRow.key != "construction-accompany",
            )
            .order_by(StageRow.id)
            .offset(offset)
            .limit(limit)
        ).all()


def transitions(app: App, stages: list[Any], document: Path, seed: int = 7) -> tuple[int, float]:
    """Done with evidence, then every approval level; returns (commands, seconds)."""
    rng = random.Random(seed)
    template = read_template_file(BUILTIN_TEMPLATES / "accompany-service.yaml").template
    count = 0
    started = time.perf_counter()
    for project_id, key, planner, street, district in stages:
        evidence = {k: str(v) for k, v in EVIDENCE[key](rng).items()}
        files = [commands.AttachmentInput(key=k, path=str(document)) for k in FILES.get(key, [])]
        done = commands.CompleteStage(
            project_id=project_id, stage=key, by=planner, evidence=evidence, attachments=files
        )
        commands.complete_stage(app, done)
        count += 1
        for level in template.stage(key).approval:  # street office, then district where needed
            approver = f"{street}-so" if level.value == "street-office" else f"{district}-ghj"
            decision = commands.DecideApproval(
                project_id=project_id, stage=key, by=approver, decision="approve"
            )
            commands.decide_approval(app, decision)
            count += 1
    return count, time.perf_counter() - started


def raw_commit_rate(app: App, stage_ids: list[int]) -> float:
    started = time.perf_counter()
    with app.engine.connect() as connection:
        for stage_id in stage_ids:
            connection.execute(
                text("UPDATE stage SET version = version + 1 WHERE id = :id"), {"id": stage_id}
            )
            connection.commit()
    return len(stage_ids) / (time.perf_counter() - started)


def cli_times(url: str, home: Path, stages: list[Any], document: Path) -> list[float]:
    env = {
        **os.environ,
        "ACCOMPANY_DATABASE_URL": url,
        "ACCOMPANY_HOME": str(home),
        "ACCOMPANY_CALENDAR_DIR": str(home / "calendars"),
    }
    rng = random.Random(11)
    times = []
    for project_id, key, planner, _street, _district in stages:
        args = [sys.executable, "-m", "accompany", "stage", "done", str(project_id), key, "--by", planner]
        for k, v in EVIDENCE[key](rng).items():
            args += ["-e", f"{k}={v}"]
        for k in FILES.get(key, []):
            args += ["--attach", f"{k}={document}"]
        started = time.perf_counter()
        result = subprocess.run(args, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if result.returncode != 0:
            raise SystemExit(f"stage done failed: {result.stderr.strip()}")
    return times


def commit_floor(url: str, runs: int) -> float:
    script = (
        "import sqlalchemy as sa, sys; e = sa.create_engine(sys.argv[1]); c = e.connect(); "
        "c.exec_driver_sql('UPDATE process_template SET version = version WHERE pk = 1'); c.commit()"
    )
    values = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", script, url], check=True, capture_output=True)
        values.append(time.perf_counter() - started)
    return statistics.median(values)


def measure(label: str, url: str, runs: int) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="accompany-bench-"))
    document = home / "doc.pdf"
    document.write_bytes(b"%PDF-1.4 bench")
    app = build_app(Settings(home=home), database_url=url, clock=FixedClock(NOW))
    out: dict[str, Any] = {"db": label}
    stages = open_stages(app, 600)
    done, seconds = transitions(app, stages, document)
    out["transitions_per_s"] = done / seconds
    # the same work from 4 threads of one process (one Python core: the GIL), the
    # way a worker serving several flow runs or an API would drive it
    chunks = [open_stages(app, 200, offset=200 * i) for i in range(4)]
    results: list[tuple[int, float]] = []
    started = time.perf_counter()
    threads = [
        threading.Thread(target=lambda c=c: results.append(transitions(app, c, document))) for c in chunks
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out["transitions_4_threads_per_s"] = sum(n for n, _ in results) / (time.perf_counter() - started)
    with app.reader() as uow:
        ids = list(uow.session.scalars(select(StageRow.id).limit(2000)))
    out["raw_commits_per_s"] = raw_commit_rate(app, ids)
    print(f"  {label}: {done} transitions in {seconds:.1f} s", file=sys.stderr)

    sweep = sweep_figures(url)
    out["sweep_s"], out["sweep_floor_s"] = sweep["decide_s"], sweep["same_s"]

    quarter = Quarter.parse("2026Q3")
    report_times = []
    for _ in range(3):
        started = time.perf_counter()
        quarterly_report(app, quarter)
        report_times.append(time.perf_counter() - started)
    out["report_s"] = statistics.median(report_times)
    aggregate_times = []
    for _ in range(3):
        started = time.perf_counter()
        with app.reader() as uow:
            uow.session.execute(text(AGGREGATE_SQL), {"cutoff": quarter.end}).all()
        aggregate_times.append(time.perf_counter() - started)
    out["report_floor_s"] = statistics.median(aggregate_times)

    cli_stages = open_stages(app, runs)
    out["cli_s"] = statistics.median(cli_times(url, home, cli_stages, document))
    out["cli_floor_s"] = commit_floor(url, runs)
    dispose_engines()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--sqlite", default="sqlite:////tmp/accompany-city.db")
    parser.add_argument("--postgres", help="PostgreSQL URL (its tables are emptied)")
    parser.add_argument("--reuse", action="store_true", help="reuse the synthetic cities already built")
    parser.add_argument("--cli-runs", type=int, default=9)
    options = parser.parse_args()
    targets = [("SQLite", options.sqlite)] + ([("PostgreSQL", options.postgres)] if options.postgres else [])
    results = []
    for label, url in targets:
        if not options.reuse:
            print(f"building a city of {options.projects} projects on {label} …", file=sys.stderr)
            print(f"  {build_city(url, options.projects, quiet=True)}", file=sys.stderr)
        print(f"measuring on {label} …", file=sys.stderr)
        results.append(measure(label, url, options.cli_runs))

    def cell(value: str, floor: str, ratio: float) -> str:
        return f"{value} (floor {floor}, {ratio:.1f}×)"

    rows = [
        (
            "stage transitions / s, 1 process × 4 threads",
            "≥ 500/s on PostgreSQL",
            lambda r: cell(
                f"{r['transitions_4_threads_per_s']:.0f}/s",
                f"{r['raw_commits_per_s']:.0f}/s",
                r["raw_commits_per_s"] / r["transitions_4_threads_per_s"],
            ),
        ),
        (
            "stage transitions / s, 1 thread",
            "≥ 500/s on PostgreSQL",
            lambda r: cell(
                f"{r['transitions_per_s']:.0f}/s",
                f"{r['raw_commits_per_s']:.0f}/s",
                r["raw_commits_per_s"] / r["transitions_per_s"],
            ),
        ),
        (
            "reminder sweep decision",
            "≤ 2 s",
            lambda r: cell(
                f"{r['sweep_s'] * 1000:.0f} ms",
                f"{r['sweep_floor_s'] * 1000:.0f} ms",
                r["sweep_s"] / r["sweep_floor_s"],
            ),
        ),
        (
            "quarterly report 2026Q3",
            "≤ 5 s",
            lambda r: cell(
                f"{r['report_s']:.2f} s", f"{r['report_floor_s']:.2f} s", r["report_s"] / r["report_floor_s"]
            ),
        ),
        (
            "CLI `stage done`, median",
            "≤ 1 s on SQLite",
            lambda r: cell(
                f"{r['cli_s'] * 1000:.0f} ms",
                f"{r['cli_floor_s'] * 1000:.0f} ms",
                r["cli_s"] / r["cli_floor_s"],
            ),
        ),
    ]
    width = 40
    print(f"{'':46}" + "".join(f"{r['db']:<{width}}" for r in results) + "goal")
    for name, goal, fmt in rows:
        print(f"{name:46}" + "".join(f"{fmt(r):<{width}}" for r in results) + goal)


if __name__ == "__main__":
    main()
