"""What a quick command loads: `project show` and `stage done` on the embedded SQLite
default import what they use and no more (start-up is most of their time; see the
README's "CLI and flow start-up"). Real processes, as a person runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from accompany.config.settings import EXAMPLE_PEOPLE

# the command runs as `python -m accompany …`; at its exit the process writes down
# what it imported and whether the cycle collector is on again
PROBE = """
import atexit, gc, json, runpy, sys
report = sys.argv.pop(1)
atexit.register(lambda: open(report, "w").write(
    json.dumps({"modules": sorted(sys.modules), "gc_enabled": gc.isenabled()})))
sys.argv[0] = "accompany"
runpy.run_module("accompany", run_name="__main__")
"""

#: nothing a person's quick command on SQLite needs: the web app, Prefect, the
#: spreadsheet reader, the messaging library, templates for pages, the PostgreSQL
#: dialect, pendulum (for --now as typed)
NOT_FOR_A_QUICK_COMMAND = (
    "fastapi",
    "starlette",
    "uvicorn",
    "prefect",
    "openpyxl",
    "apprise",
    "jinja2",
    "sqlalchemy.dialects.postgresql",
    "pendulum",
    "accompany.web",
    "accompany.flows",
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.delenv("ACCOMPANY_DATABASE_URL", raising=False)
    env = {
        **os.environ,
        "ACCOMPANY_HOME": str(tmp_path / "home"),
        "ACCOMPANY_CALENDAR_DIR": str(tmp_path / "home" / "calendars"),
    }
    run(env, "people", "load", str(EXAMPLE_PEOPLE))
    run(env, *START)
    return env


START = [
    "project",
    "start",
    "--name",
    "start-up",
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
]


def run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "accompany", *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def probed(env: dict[str, str], tmp_path: Path, *args: str) -> tuple[str, dict[str, object]]:
    report = tmp_path / "report.json"
    command = [sys.executable, "-c", PROBE, str(report), *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout, json.loads(report.read_text(encoding="utf-8"))


def loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == n or m.startswith(n + ".") for n in names)]


def test_project_show_imports_what_it_uses(home: dict[str, str], tmp_path: Path) -> None:
    out, seen = probed(home, tmp_path, "project", "show", "1", "--now", "2026-03-21T10:00")
    assert out == run(home, "project", "show", "1", "--now", "2026-03-21T10:00")  # the same page
    assert "start-up" in out
    modules = seen["modules"]
    assert isinstance(modules, list)
    assert loaded(modules, NOT_FOR_A_QUICK_COMMAND) == []
    # only the named command group is built (and its module imported)
    groups = {m for m in modules if m.startswith("accompany.cli.")}
    assert "accompany.cli.projects" in groups
    assert not groups & {"accompany.cli.people", "accompany.cli.stages", "accompany.cli.households"}
    assert seen["gc_enabled"] is True  # back on once the command built the application


def test_stage_done_imports_what_it_uses(home: dict[str, str], tmp_path: Path) -> None:
    problem_map = tmp_path / "map.pdf"
    problem_map.write_bytes(b"%PDF start-up")
    evidence = ["-e", "households_interviewed=35", "-e", "observation_days=4"]
    attach = ["--attach", f"problem_map={problem_map}"]
    done = ["stage", "done", "1", "needs-survey", "--by", "wangrb", *evidence, *attach]
    _, seen = probed(home, tmp_path, *done, "--now", "2026-03-20T10:00")
    modules = seen["modules"]
    assert isinstance(modules, list)
    assert loaded(modules, NOT_FOR_A_QUICK_COMMAND) == []
    assert seen["gc_enabled"] is True
    stages = json.loads(run(home, "project", "show", "1", "--json"))["stages"]
    assert stages[0]["key"] == "needs-survey" and stages[0]["state"] == "submitted"  # it was done
