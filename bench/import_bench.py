"""Bulk import figures: N project rows (CSV) checked and imported in one transaction.

python bench/import_bench.py [--rows 10000] [--postgres URL]

For each database (SQLite in a temporary folder; PostgreSQL in a fresh schema of the
given database each time):

- the import in process (``import_projects``: check every row, then write them all);
- the same file through the CLI (``accompany project import FILE``, a fresh process:
  wall time and peak memory, start-up included);
- the floor: reading the CSV with the csv module and writing exactly the rows the
  import wrote (projects, stages, events, copied from the imported database) with one
  executemany per table and one commit, into an empty database.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, insert, make_url, select, text, true

from accompany.bootstrap import build_app, dispose_engines
from accompany.clock import FixedClock, parse_moment
from accompany.config.settings import BUILTIN_TEMPLATES, EXAMPLE_PEOPLE, Settings
from accompany.db.orm import EventRow, ProjectRow, StageRow
from accompany.directory import read_directory
from accompany.services import commands
from accompany.services.importing import import_projects
from accompany.tables import read_table
from accompany.templates import read_template_file

NOW = "2026-03-02T09:00"
TABLES = (ProjectRow.__table__, StageRow.__table__, EventRow.__table__)


def write_csv(path: Path, rows: int) -> None:
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
        for i in range(rows):
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


class Fresh:
    """Empty databases: SQLite files in a folder, or new schemas of one PostgreSQL database."""

    def __init__(self, folder: Path, postgres: str | None):
        self.folder, self.postgres, self.schemas = folder, postgres, []

    def url(self) -> str:
        if self.postgres is None:
            return f"sqlite:///{self.folder / f'import-{uuid.uuid4().hex[:8]}.db'}"
        schema = f"import_bench_{uuid.uuid4().hex[:8]}"
        engine = create_engine(self.postgres)
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
        self.schemas.append(schema)
        url = make_url(self.postgres).update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    def drop(self) -> None:
        if self.postgres and self.schemas:
            engine = create_engine(self.postgres)
            with engine.begin() as connection:
                for schema in self.schemas:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            engine.dispose()


def prepared(url: str, home: Path):  # type: ignore[no-untyped-def]
    app = build_app(Settings(home=home), database_url=url, clock=FixedClock(parse_moment(NOW)))
    commands.load_directory(app, read_directory(EXAMPLE_PEOPLE))
    return app


def floor(url: str, home: Path, path: Path, copied: dict[str, list[dict]]) -> float:
    """CSV read + one executemany per table + one commit, into an empty database."""
    app = prepared(url, home)
    with app.uow() as uow:  # the template snapshot the projects refer to (pk 1)
        body = read_template_file(BUILTIN_TEMPLATES / "accompany-service.yaml").body
        uow.templates.snapshot(body, app.now())
        uow.commit()
    engine = create_engine(url)
    started = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    with engine.begin() as connection:
        for table in TABLES:
            connection.execute(insert(table), copied[table.name])
    seconds = time.perf_counter() - started
    assert len(rows) - 1 == len(copied["project"])
    engine.dispose()
    return seconds


def cli_import(url: str, home: Path, path: Path) -> tuple[float, float]:
    """Wall seconds and peak memory (MiB) of `accompany project import` in a fresh process."""
    prepared(url, home)
    dispose_engines()
    measure = home / "time.txt"
    env = {**os.environ, "ACCOMPANY_HOME": str(home), "ACCOMPANY_DATABASE_URL": url}
    subprocess.run(
        [
            "/usr/bin/time",
            "-f",
            "%e %M",
            "-o",
            str(measure),
            str(Path(sys.executable).parent / "accompany"),
            "project",
            "import",
            str(path),
            "--now",
            NOW,
            "--json",
        ],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seconds, kib = measure.read_text().split()[-2:]
    return float(seconds), int(kib) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--postgres", help="also on this PostgreSQL URL (schemas are created and dropped)")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="accompany-import-"))
    path = folder / "projects.csv"
    write_csv(path, options.rows)
    targets = [("SQLite", Fresh(folder, None))]
    if options.postgres:
        targets.append(("PostgreSQL", Fresh(folder, options.postgres)))
    print(
        f"{'':12}{'rows':>7}{'read':>7}{'check + import':>16}{'rows/s':>8}"
        f"{'CLI import':>12}{'CLI peak':>10}{'floor':>8}{'CLI/floor':>11}"
    )
    for label, fresh in targets:
        try:
            url = fresh.url()
            app = prepared(url, folder)
            started = time.perf_counter()
            header, rows = read_table(path)
            read_s = time.perf_counter() - started
            started = time.perf_counter()
            report = import_projects(app, header, rows)
            run_s = time.perf_counter() - started
            assert len(report.project_ids) == options.rows
            with app.reader() as uow:
                copied = {
                    t.name: [
                        dict(r._mapping)
                        for r in uow.session.execute(
                            select(*(c for c in t.c if c.name != "recorded_at"))
                            .where(t.c.project_id.is_not(None) if t.name == "event" else true())
                            .order_by(t.c.id)
                        )
                    ]
                    for t in TABLES
                }
            dispose_engines()
            floor_s = floor(fresh.url(), folder, path, copied)
            dispose_engines()
            cli_s, cli_mib = cli_import(fresh.url(), folder, path)
            print(
                f"{label:12}{options.rows:>7}{read_s:>6.2f}s{run_s:>15.2f}s{options.rows / run_s:>8.0f}"
                f"{cli_s:>11.2f}s{cli_mib:>7.0f} MiB{floor_s:>7.2f}s{cli_s / floor_s:>10.1f}×"
            )
        finally:
            dispose_engines()
            fresh.drop()


if __name__ == "__main__":
    main()
