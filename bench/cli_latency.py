"""Wall time of a person's CLI command on the embedded default (SQLite), and of one
`start-project` Prefect flow run — the figures issue 2 asks for.

    python bench/cli_latency.py [--runs 15]

Each CLI figure is the median over fresh processes (`accompany …` as a person types
it), next to the floor: a Python process that imports nothing and exits, and one
that imports SQLAlchemy and commits one row.

Measured twice, and each says which: with the project's modules byte-compiled
(``__pycache__`` next to them, as ``python -m compileall`` leaves them) and without
(an editable install run with ``PYTHONDONTWRITEBYTECODE=1`` compiles every module of
the project from source on every command). For the second, the project's
``__pycache__`` folders are moved aside during the run and put back afterwards;
``--bytecode as-is`` measures the tree as it is.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = ROOT / "config" / "people.example.yaml"
# the project's own packages (an editable install imports them from here)
PROJECT_DIRS = ("src", "models", "flows", "notifications", "config", "migrations")


def project_caches() -> list[Path]:
    return [c for d in PROJECT_DIRS for c in (ROOT / d).rglob("__pycache__") if c.is_dir()]


def byte_compile() -> None:
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", *(str(ROOT / d) for d in PROJECT_DIRS)], check=True
    )


# each child's CPU time (user + system), next to its wall time: on a shared, loaded
# machine the CPU a command costs is the steadier figure


def timed(args: list[str], env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(args, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {result.stderr.strip()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    LAST_CPU.append(cpu)
    return elapsed


LAST_CPU: list[float] = []


def cli_figures(mode: str, base_env: dict[str, str], runs: int) -> Path:
    """Times the CLI commands against their floors; prints them; returns the home."""
    home = Path(tempfile.mkdtemp(prefix="accompany-bench-"))
    env = {**base_env, "ACCOMPANY_HOME": str(home), "ACCOMPANY_CALENDAR_DIR": str(home / "calendars")}
    cli = [sys.executable, "-m", "accompany"]
    subprocess.run([*cli, "people", "load", str(PEOPLE)], env=env, check=True, capture_output=True)
    problem_map = home / "map.pdf"
    problem_map.write_bytes(b"%PDF bench")
    start = [
        *cli,
        "project",
        "start",
        "--name",
        "bench",
        "--district",
        "chaoyang",
        "--street",
        "taiyanggong",
        "--community",
        "c",
        "--planner",
        "wangrb",
        "--start",
        "2026-03-02",
        "--by",
        "zhangl",
        "--stage-deadline",
        "construction-accompany=2026-10-30",
        "--now",
        "2026-03-02T09:00",
        "--allow-duplicate",  # the same project again on every run
    ]
    commit_script = (
        "import sqlalchemy as sa, tempfile, os;"
        "e=sa.create_engine('sqlite:///'+os.path.join(tempfile.mkdtemp(),'f.db'));"
        "c=e.connect();c.exec_driver_sql('create table t(x)');"
        "c.exec_driver_sql('insert into t values (1)');c.commit()"
    )
    names = [
        "floor: python -c pass",
        "floor: python + SQLAlchemy + one commit",
        "accompany project start",
        "accompany stage done (evidence + attachment)",
        "accompany project show",
    ]
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    # interleaved, one of each per run: a change in the machine's load touches all alike
    for i in range(runs):
        done = [
            *cli,
            "stage",
            "done",
            str(i + 1),
            "needs-survey",
            "--by",
            "wangrb",
            "-e",
            "households_interviewed=35",
            "-e",
            "observation_days=4",
            "--attach",
            f"problem_map={problem_map}",
            "--now",
            "2026-03-20T10:00",
        ]
        show = [*cli, "project", "show", "1", "--now", "2026-03-21T10:00"]
        floors = [[sys.executable, "-c", "pass"], [sys.executable, "-c", commit_script]]
        for name, args in zip(names, [*floors, start, done, show], strict=True):
            wall[name].append(timed(args, env))
            cpu[name].append(LAST_CPU[-1])

    floor_wall = statistics.median(wall[names[1]])
    floor_cpu = statistics.median(cpu[names[1]])
    state = {
        "source": "project modules compiled from source on every run (no __pycache__)",
        "byte-compiled": "project modules byte-compiled (python -m compileall)",
        "as-is": "project tree as it is",
    }[mode]
    print(f"CLI on the embedded default (SQLite), median of {runs} fresh processes; {state}")
    print(f"{'':<44} {'wall':>8}     {'(min, max)':<20} {'ratio':>6}  {'CPU':>8}  {'ratio':>6}")
    for name in names:
        w, c = statistics.median(wall[name]), statistics.median(cpu[name])
        is_floor = name.startswith("floor")
        spread = f"(min {min(wall[name]) * 1000:4.0f}, max {max(wall[name]) * 1000:4.0f})"
        ratio_w = "" if is_floor else f"{w / floor_wall:.1f}×"
        ratio_c = "" if is_floor else f"{c / floor_cpu:.1f}×"
        print(f"{name:<44} {w * 1000:5.0f} ms  {spread:<20} {ratio_w:>6}  {c * 1000:5.0f} ms  {ratio_c:>6}")

    return home


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--skip-prefect", action="store_true")
    parser.add_argument(
        "--bytecode",
        choices=["both", "as-is"],
        default="both",
        help="both: without, then with the project byte-compiled (default); as-is: the tree as it is",
    )
    options = parser.parse_args()
    # a stopped run still puts the project's __pycache__ folders back (finally below)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    env = {**os.environ}
    env.pop("ACCOMPANY_DATABASE_URL", None)
    # an editable install on a machine that writes no byte code, as these are
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    modes = ["as-is"] if options.bytecode == "as-is" else ["source", "byte-compiled"]
    for mode in modes:
        aside: list[tuple[Path, Path]] = []
        try:
            if mode == "source":
                for cache in project_caches():
                    target = cache.with_name("__pycache__.bench-aside")
                    cache.rename(target)
                    aside.append((target, cache))
            elif mode == "byte-compiled":
                byte_compile()
            home = cli_figures(mode, env, options.runs)
        finally:
            for target, cache in aside:
                if cache.exists():
                    shutil.rmtree(cache)
                target.rename(cache)
        print()

    if options.skip_prefect:
        return
    # one start-project flow run, in-process, the way automation runs it
    os.environ.update({"ACCOMPANY_HOME": str(home), "PREFECT_HOME": str(home / "prefect")})
    import datetime as dt

    from accompany.clock import parse_moment
    from accompany.services.commands import StartProject

    t0 = time.perf_counter()
    from accompany.flows.lifecycle import start_project_flow

    imported = time.perf_counter() - t0
    command = StartProject(
        name="flow bench",
        district="chaoyang",
        street="taiyanggong",
        community="c",
        planner="wangrb",
        start=dt.date(2026, 3, 2),
        by="zhangl",
        stage_deadlines={"construction-accompany": dt.date(2026, 10, 30)},
    )
    now = parse_moment("2026-03-02T09:00")
    runs = []
    for _ in range(6):
        t = time.perf_counter()
        asyncio.run(start_project_flow(command, now=now))
        runs.append(time.perf_counter() - t)
    print()
    print("start-project flow run (in-process, local ephemeral Prefect)")
    print(f"{'import prefect + flows':<44} {imported * 1000:8.0f} ms")
    print(f"{'first run (starts the ephemeral API server)':<44} {runs[0] * 1000:8.0f} ms")
    warm = runs[1:]
    print(f"{'later runs, median of ' + str(len(warm)):<44} {statistics.median(warm) * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
