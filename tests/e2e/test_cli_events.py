"""`accompany events relay`, as typed: against a real Prefect API, and with Prefect
unreachable (one line, exit 69, the events stay queued)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from accompany.config.settings import EXAMPLE_PEOPLE

from .test_cli import START, ok, refused


@pytest.fixture
def started(cli_env: dict[str, str]) -> int:
    ok("people", "load", str(EXAMPLE_PEOPLE))
    assert "#1" in ok(*START)
    return json.loads(ok("audit", "verify", "--json"))["checked"]


@pytest.fixture(scope="module")
def prefect_server() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_unreachable_prefect_leaves_the_events_queued(started: int) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        line = refused(69, "events", "relay")
    assert line.startswith("error: Prefect did not take the events: ConnectError: ")
    assert "(http://127.0.0.1:9/api/" in line
    assert line.endswith(f"; {started} event(s) stay queued after event #0")
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        line = refused(69, "events", "relay")
    assert line == (
        f"error: Prefect did not take the events: PREFECT_API_URL is not set; {started} event(s) stay "
        "queued after event #0"
    )
    assert "--limit" in refused(2, "events", "relay", "--limit", "0")


@pytest.mark.prefect
@pytest.mark.slow
def test_relay_to_a_real_prefect_api_once(prefect_server: None, started: int) -> None:
    assert ok("events", "relay", "--limit", "2") == (
        f"relayed 2 event(s) to Prefect in 1 batch(es); cursor at event #2, {started - 2} waiting\n"
    )
    assert ok("events", "relay") == (
        f"relayed {started - 2} event(s) to Prefect in 1 batch(es); cursor at event #{started}, 0 waiting\n"
    )
    assert json.loads(ok("events", "relay", "--json")) == {
        "sent": 0,
        "batches": 0,
        "cursor": started,
        "pending": 0,
        "error": None,
    }
