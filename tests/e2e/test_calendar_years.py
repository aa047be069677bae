"""The suite's calendar assumptions hold whatever year the chinese-calendar package
knows last: each November a release adds the next year, and nothing here may then
break by itself."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import nullcontext
from pathlib import Path

import pytest

from accompany.calendars import load_calendar

from ..calendar_years import NEXT_YEAR_ENV, first_unknown_year, package_with_simulated_year
from ..conftest import SIMULATED_YEAR
from .test_cli import ok

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("package", ["as installed", "knowing one more year"])
def test_demo_shows_a_provisional_deadline_whatever_the_calendar_knows(package: str) -> None:
    with package_with_simulated_year() if package != "as installed" else nullcontext():
        unknown = first_unknown_year(load_calendar([])[0])
        out = ok("demo", "--no-prefect")
    shown = " ".join(out.split())  # the terminal may wrap the line
    assert f"Post-occupancy evaluation provisional deadline: {unknown}: holidays not published yet" in shown
    assert "project status: completed" in out.lower()


# The tests that depend on which years are known, run again with the package's data
# extended by a simulated next year (ACCOMPANY_TEST_CALENDAR_NEXT_YEAR=1, tests/conftest.py).
CALENDAR_DEPENDENT = [
    "tests/unit",
    "tests/integration/test_calendar_and_clock.py",
    "tests/e2e/test_cli_calendar.py",
    "tests/e2e/test_calendar_years.py::test_demo_shows_a_provisional_deadline_whatever_the_calendar_knows",
]


@pytest.mark.slow
def test_calendar_assumptions_hold_when_the_package_knows_one_more_year() -> None:
    # the year the nested session adds (this session may be running with it already)
    simulated = SIMULATED_YEAR or max(load_calendar([])[0].known_years) + 1
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-m", "not postgres", *CALENDAR_DEPENDENT],
        cwd=ROOT,
        env={**os.environ, NEXT_YEAR_ENV: "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert f"chinese-calendar data extended with a simulated {simulated}" in result.stdout
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary
