"""The Prefect flows run the same service commands and tag runs with the project.

Slow (a throwaway Prefect API server starts once for the module)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from accompany.bootstrap import App
from accompany.models.errors import Conflict
from accompany.services.commands import AttachmentInput, CompleteStage, DecideApproval
from accompany.services.queries import show_project

from ..conftest import start_command

pytestmark = [pytest.mark.prefect, pytest.mark.slow]


@pytest.fixture(scope="module")
def prefect_server() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


async def _tags_of_runs(flow_name: str) -> list[list[str]]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    async with get_client() as client:
        runs = await client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])))
        return [sorted(r.tags) for r in runs]


@pytest.fixture
def worker_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The worker's settings: flows read them, they are no parameter."""
    monkeypatch.setenv("ACCOMPANY_DATABASE_URL", db_url)
    return db_url


def test_lifecycle_flows_tag_runs_with_the_project(
    prefect_server: None, people: App, worker_env: str, evidence_file: Path
) -> None:
    from accompany.flows.lifecycle import complete_stage_flow, decide_approval_flow, start_project_flow

    now = people.now()
    project_id = asyncio.run(start_project_flow(start_command(), now=now))
    asyncio.run(
        complete_stage_flow(
            CompleteStage(
                project_id=project_id,
                stage="needs-survey",
                by="wangrb",
                evidence={"households_interviewed": "40", "observation_days": "3"},
                attachments=[AttachmentInput(key="problem_map", path=str(evidence_file))],
            ),
            now=now,
        )
    )
    asyncio.run(
        decide_approval_flow(
            DecideApproval(project_id=project_id, stage="needs-survey", by="zhaoy", decision="approve"),
            now=now,
        )
    )
    detail = show_project(people, project_id)
    assert detail.stages[0].state == "approved"
    for name in ("start-project", "complete-stage", "decide-approval"):
        assert any(f"project:{project_id}" in tags for tags in asyncio.run(_tags_of_runs(name))), name
    # a refusal fails the run with the person's one-line message
    with pytest.raises(Conflict, match="already approved"):
        asyncio.run(
            decide_approval_flow(
                DecideApproval(project_id=project_id, stage="needs-survey", by="zhaoy", decision="approve"),
                now=now,
            )
        )


def test_reminder_flows(prefect_server: None, people: App, worker_env: str, tmp_path: Path) -> None:
    from accompany.clock import parse_moment
    from accompany.flows.reminders import dispatch_notifications_flow, send_reminders_flow
    from accompany.services import commands

    from ..receivers import HttpReceiver, apprise_yaml

    receiver = HttpReceiver()
    try:
        config = tmp_path / "apprise.yaml"
        config.write_text(
            apprise_yaml({receiver.url("all"): "person-wangrb, person-zhangl, street-office-taiyanggong"}),
            encoding="utf-8",
        )
        commands.start_project(people, start_command())
        import os

        os.environ["ACCOMPANY_APPRISE_CONFIG"] = str(config)
        try:
            saturday = asyncio.run(send_reminders_flow(now=parse_moment("2026-04-11T09:00")))
            assert saturday["skipped"] == "not a working day"
            weekday = asyncio.run(send_reminders_flow(now=parse_moment("2026-04-09T09:00")))
            assert weekday["queued"] == 1 and weekday["by_kind"] == {"due-soon": 1}
            sent = asyncio.run(dispatch_notifications_flow(now=parse_moment("2026-04-09T09:05")))
            assert sent["sent"] == 4 and sent["dead"] == 0
        finally:
            del os.environ["ACCOMPANY_APPRISE_CONFIG"]
        assert len(receiver.delivered) == 4
    finally:
        receiver.stop()


def test_the_demo_through_prefect_keeps_its_files_in_its_throwaway_folder(
    prefect_server: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The flows read their settings from ACCOMPANY_* variables: the demo's evidence
    files must not land in the user's attachments folder (they did, under
    $ACCOMPANY_HOME/attachments)."""
    from tests.e2e.test_cli import ok

    home = tmp_path / "home"
    monkeypatch.setenv("ACCOMPANY_HOME", str(home))
    monkeypatch.delenv("ACCOMPANY_ATTACHMENTS_DIR", raising=False)
    monkeypatch.setenv("ACCOMPANY_LANGUAGE", "en")  # the assertions read the English lines
    out = ok("demo")
    assert "steps run through: Prefect flows" in out and "project status: completed" in out.lower()
    assert sorted(p.name for p in home.rglob("*") if p.is_file()) == []


PASSWORD = "pgPassw0rdSecret"
CHANNEL_TOKEN = "chAnnelT0kenSecret"


def _with_password(url: str) -> str:
    """The same database, its URL carrying a password (the test server trusts
    local connections, so any password is accepted)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return url
    return parsed.set(password=PASSWORD).render_as_string(hide_password=False)


async def _stored_parameters() -> list[dict]:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        return [run.parameters for run in await client.read_flow_runs()]


def _prefect_database_text() -> str:
    """Every row of every table of Prefect's own database, as text."""
    import sqlite3

    from prefect.settings import get_current_settings

    url = str(get_current_settings().server.database.connection_url.get_secret_value())
    path = url.split("///", 1)[1]
    connection = sqlite3.connect(path)
    try:
        tables = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return "\n".join(
            repr(row) for table in tables for row in connection.execute(f'SELECT * FROM "{table}"')
        )
    finally:
        connection.close()


def test_no_flow_run_stores_the_database_url_or_a_channel_secret(
    prefect_server: None,
    people: App,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    evidence_file: Path,
) -> None:
    """Flows read the worker's settings; Prefect keeps a run's parameters in its
    database and shows them in its UI, so no URL or secret may be one. The demo's
    Prefect driver goes the same way."""
    from accompany.clock import parse_moment
    from accompany.config.settings import Settings
    from accompany.demo import PrefectDriver
    from accompany.flows.reminders import dispatch_notifications_flow
    from accompany.services import commands

    from ..receivers import HttpReceiver, apprise_yaml

    url = _with_password(db_url)
    receiver = HttpReceiver()
    try:
        config = tmp_path / "apprise.yaml"
        config.write_text(
            apprise_yaml(
                {
                    receiver.url(f"hook/{CHANNEL_TOKEN}"): (
                        "person-wangrb, person-zhangl, street-office-taiyanggong"
                    )
                }
            ),
            encoding="utf-8",
        )
        monkeypatch.setenv("ACCOMPANY_DATABASE_URL", url)
        monkeypatch.setenv("ACCOMPANY_APPRISE_CONFIG", str(config))
        commands.start_project(people, start_command())
        receiver.fail_next = 1  # one stored error, with the channel in it
        result = asyncio.run(dispatch_notifications_flow(now=parse_moment("2026-03-02T10:00")))
        assert result["sent"] == 2 and result["retried"] == 1
        # the demo's driver: its worker settings come from the environment too
        monkeypatch.delenv("ACCOMPANY_DATABASE_URL")
        driver = PrefectDriver(Settings(home=tmp_path / "demo"), url)
        project_id = driver.start(start_command(name="演示项目"), parse_moment("2026-03-02T10:00"))
        assert project_id > 1
    finally:
        receiver.stop()
    parameters = asyncio.run(_stored_parameters())
    assert parameters and all(set(p) <= {"command", "now", "force", "quarter", "out_dir"} for p in parameters)
    stored = json.dumps(parameters, default=str) + _prefect_database_text()
    assert db_url.split("?")[0] not in stored
    for secret in (PASSWORD, CHANNEL_TOKEN):
        assert secret not in stored
