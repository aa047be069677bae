"""Quarterly report figures (issue 5).

    python bench/report_bench.py [--postgres URL] [--reuse] [--projects 10000]

Times the report for one quarter over a synthetic city (10,000 projects, ~1,000,000
events: see bench/synthetic.py) on SQLite and PostgreSQL, next to one hand-written
SQL aggregation over the same events (counts per district, street and kind up to the
cut-off), and the time to write each file format; the XLSX next to its floor (the same
sheets and cell values appended to an openpyxl write-only workbook, no styles). The
peak memory is that of a fresh process building the report once (``--child``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from accompany import reporting
from accompany.bootstrap import build_app, dispose_engines
from accompany.clock import FixedClock
from accompany.config.settings import Settings
from accompany.models.report import Quarter
from accompany.services.reports import quarterly_report
from bench.sweep_bench import median_time
from bench.synthetic import build_city

AGGREGATE_SQL = """
SELECT p.district_id, p.street_id, e.kind, COUNT(*)
FROM event e JOIN project p ON p.id = e.project_id
WHERE e.occurred_at < :cutoff
GROUP BY p.district_id, p.street_id, e.kind
"""


def xlsx_floor(made: Path, out: Path) -> float:
    """Seconds to write the same sheets and values with openpyxl's write-only mode."""
    from openpyxl import Workbook, load_workbook

    book = load_workbook(made, read_only=True)
    sheets = [(ws.title, [list(r) for r in ws.iter_rows(values_only=True)]) for ws in book.worksheets]
    book.close()
    started = time.perf_counter()
    floor = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = floor.create_sheet(title)
        for row in rows:
            sheet.append(row)
    floor.save(out)
    return time.perf_counter() - started


def child(url: str, quarter: Quarter, now: dt.datetime) -> None:
    """One report in this process; prints its seconds and the process's peak memory (MiB)."""
    app = build_app(Settings(home=Path(tempfile.mkdtemp())), database_url=url, clock=FixedClock(now))
    started = time.perf_counter()
    quarterly_report(app, quarter)
    seconds = time.perf_counter() - started
    # VmHWM, not ru_maxrss: Linux carries the spawning parent's peak over into a
    # child's ru_maxrss across exec
    status = Path("/proc/self/status").read_text()
    peak_kib = int(status.split("VmHWM:")[1].split()[0])
    print(f"{seconds:.3f} {peak_kib / 1024:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--sqlite", default="sqlite:////tmp/accompany-city.db")
    parser.add_argument("--postgres", help="also measure on this PostgreSQL URL (its tables are emptied)")
    parser.add_argument("--reuse", action="store_true", help="reuse an existing synthetic city")
    parser.add_argument("--quarter", default="2026Q3")
    parser.add_argument("--child", metavar="URL", help=argparse.SUPPRESS)
    options = parser.parse_args()
    now = dt.datetime(2026, 11, 24, 1, tzinfo=dt.UTC)
    if options.child:
        child(options.child, Quarter.parse(options.quarter), now)
        return
    targets = [("SQLite", options.sqlite)] + ([("PostgreSQL", options.postgres)] if options.postgres else [])
    for label, url in targets:
        if not options.reuse:
            print(f"building a city of {options.projects} projects on {label} …", file=sys.stderr)
            print(f"  {build_city(url, options.projects, quiet=True)}", file=sys.stderr)
    quarter = Quarter.parse(options.quarter)
    print(f"quarterly report {quarter.label} (median of 3)")
    print(
        f"{'':12}{'events':>9}{'events read':>13}{'report':>9}{'1 SQL aggregation':>19}{'ratio':>7}"
        f"{'peak':>9}{'xlsx':>8}{'floor':>7}{'html':>7}{'csv':>7}{'json':>7}"
    )
    for label, url in targets:
        app = build_app(Settings(home=Path(tempfile.mkdtemp())), database_url=url, clock=FixedClock(now))
        cutoff = min(quarter.end, now)
        with app.reader() as uow:
            total = uow.session.execute(text("SELECT COUNT(*) FROM event")).scalar()

        def aggregate(app=app, cutoff=cutoff) -> int:  # type: ignore[no-untyped-def]
            with app.reader() as uow:
                return len(uow.session.execute(text(AGGREGATE_SQL), {"cutoff": cutoff}).all())

        sql_s, _ = median_time(aggregate, 3)
        report_s, report = median_time(lambda app=app: quarterly_report(app, quarter), 3)
        folder = Path(tempfile.mkdtemp())
        writes = []
        for fmt in ("xlsx", "html", "csv", "json"):
            started = time.perf_counter()
            reporting.write(report, fmt, folder / f"r.{fmt}", "zh")
            writes.append(time.perf_counter() - started)
        writes.insert(1, xlsx_floor(folder / "r.xlsx", folder / "floor.xlsx"))
        measured = subprocess.run(
            [sys.executable, __file__, "--child", url, "--quarter", options.quarter],
            capture_output=True,
            text=True,
            check=True,
        )
        peak = float(measured.stdout.split()[-1])
        print(
            f"{label:12}{total:>9}{report.meta['events_read']:>13}{report_s:>8.2f}s{sql_s:>18.2f}s"
            f"{report_s / sql_s:>6.1f}×{peak:>5.0f} MiB" + "".join(f"{w:>6.2f}s" for w in writes)
        )
        dispose_engines()


if __name__ == "__main__":
    main()
