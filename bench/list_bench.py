"""`accompany project list --json --limit N` over a synthetic city, next to its floor.

    python bench/list_bench.py [--sqlite URL] [--postgres URL] [--limit 10000] [--runs 3]

Needs a city built by bench/synthetic.py (or report_bench / city_bench) in each
database. Each figure is the median over fresh processes (wall time; peak memory of
the last run). The floor is a fresh Python process that imports SQLAlchemy, runs one
hand-written SQL query returning the columns the list shows (each project with its
names, stage counts and current stages) and prints them as JSON.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

FLOOR = r"""
import json, sys
from sqlalchemy import create_engine, text
SQL = '''
SELECT p.id, p.name, p.community, d.name, st.name, pl.name, p.district_id, p.street_id,
       p.planner_id, p.status, p.start_date,
       c.approved, c.total,
       s.key, s.phase, s.state, s.waiting_for, s.due_date, s.due_provisional, s.paused_since
FROM (SELECT * FROM project ORDER BY id DESC LIMIT :limit) p
LEFT JOIN district d ON d.id = p.district_id
LEFT JOIN street st ON st.id = p.street_id
LEFT JOIN person pl ON pl.id = p.planner_id
LEFT JOIN (SELECT project_id, SUM(CASE WHEN state = 'approved' THEN 1 ELSE 0 END) AS approved,
                  COUNT(*) AS total FROM stage GROUP BY project_id) c ON c.project_id = p.id
LEFT JOIN stage s ON s.project_id = p.id AND s.state IN ('in_progress', 'submitted')
ORDER BY p.id DESC, s.position
'''
engine = create_engine(sys.argv[1])
with engine.connect() as connection:
    rows = connection.execute(text(SQL), {"limit": int(sys.argv[2])}).all()
sys.stdout.write(json.dumps([tuple(r) for r in rows], ensure_ascii=False, default=str))
"""


def run(args: list[str], env: dict[str, str], runs: int) -> tuple[float, float, int]:
    """Median wall seconds, peak MiB (last run), bytes printed."""
    times, mib, size = [], 0.0, 0
    measure = Path(tempfile.mkdtemp()) / "time.txt"
    for _ in range(runs):
        result = subprocess.run(
            ["/usr/bin/time", "-f", "%e %M", "-o", str(measure), *args], env=env, capture_output=True
        )
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed: {result.stderr.decode()[-2000:]}")
        seconds, kib = measure.read_text().split()[-2:]
        times.append(float(seconds))
        mib, size = int(kib) / 1024, len(result.stdout)
    return statistics.median(times), mib, size


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sqlite", default="sqlite:////tmp/accompany-city.db")
    parser.add_argument("--postgres", help="also on this PostgreSQL URL (a city built there)")
    parser.add_argument("--limit", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    targets = [("SQLite", options.sqlite)] + ([("PostgreSQL", options.postgres)] if options.postgres else [])
    home = Path(tempfile.mkdtemp(prefix="accompany-list-"))
    env = {**os.environ, "ACCOMPANY_HOME": str(home)}
    env.pop("ACCOMPANY_DATABASE_URL", None)
    cli = str(Path(sys.executable).parent / "accompany")
    print(f"project list --json --limit {options.limit} (median of {options.runs} fresh processes)")
    print(f"{'':12}{'CLI':>8}{'peak':>9}{'JSON':>10}{'floor':>8}{'peak':>9}{'ratio':>7}")
    for label, url in targets:
        args = [cli, "project", "list", "--json", "--limit", str(options.limit), "--db", url]
        cli_s, cli_mib, size = run([*args, "--now", "2026-11-24T09:00"], env, options.runs)
        floor_s, floor_mib, _ = run([sys.executable, "-c", FLOOR, url, str(options.limit)], env, options.runs)
        print(
            f"{label:12}{cli_s:>7.2f}s{cli_mib:>5.0f} MiB{size / 1e6:>7.1f} MB{floor_s:>7.2f}s"
            f"{floor_mib:>5.0f} MiB{cli_s / floor_s:>6.1f}×"
        )


if __name__ == "__main__":
    main()
