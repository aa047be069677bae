"""The ephemeral Prefect server the embedded default starts gets two minutes to come up:
on a busy 2-core machine the demo's first flow run failed after Prefect's own 20
seconds ("Timed out while attempting to connect to ephemeral Prefect API server").
An operator's own setting is kept."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

READ = (
    "import flows\n"
    "from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS as timeout\n"
    "print(timeout.value())\n"
)


@pytest.mark.parametrize(("given", "expected"), [(None, "120"), ("45", "45")])
def test_the_ephemeral_server_is_given_time_to_start(given: str | None, expected: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"}
    if given is not None:
        env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = given
    shown = subprocess.run([sys.executable, "-c", READ], env=env, capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == expected
