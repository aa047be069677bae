"""Bulk import figures: N project rows (CSV) checked and imported in one transaction.

python bench/import_bench.py [--rows 10000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from accompany.bootstrap import build_app, dispose_engines
from accompany.clock import FixedClock, parse_moment
from accompany.config.settings import EXAMPLE_PEOPLE, Settings
from accompany.directory import read_directory
from accompany.services import commands
from accompany.services.importing import import_projects
from accompany.tables import read_table


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--postgres", help="also on this PostgreSQL URL (an empty database)")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="accompany-import-"))
    path = folder / "projects.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "name",
                "district",
                "street",
                "community",
                "planner",
                "start",
                "by",
                "deadline:construction-accompany",
            ]
        )
        for i in range(options.rows):
            writer.writerow(
                [
                    f"项目{i:05d}",
                    "朝阳区",
                    "太阳宫街道",
                    f"社区{i % 40}",
                    "wangrb",
                    "2026-03-02",
                    "zhangl",
                    "2026-10-30",
                ]
            )
    targets = [("SQLite", f"sqlite:///{folder / 'import.db'}")]
    if options.postgres:
        targets.append(("PostgreSQL", options.postgres))
    print(f"{'':12}{'rows':>8}{'read':>8}{'check + import':>16}{'rows/s':>9}")
    for label, url in targets:
        app = build_app(
            Settings(home=folder), database_url=url, clock=FixedClock(parse_moment("2026-03-02T09:00"))
        )
        commands.load_directory(app, read_directory(EXAMPLE_PEOPLE))
        started = time.perf_counter()
        header, rows = read_table(path)
        read_s = time.perf_counter() - started
        started = time.perf_counter()
        report = import_projects(app, header, rows)
        run_s = time.perf_counter() - started
        assert len(report.project_ids) == options.rows
        print(f"{label:12}{options.rows:>8}{read_s:>7.2f}s{run_s:>15.2f}s{options.rows / run_s:>9.0f}")
        dispose_engines()


if __name__ == "__main__":
    main()
