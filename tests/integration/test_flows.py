"""The Prefect flows run the same service commands and tag runs with the project.

Slow (a throwaway Prefect API server starts once for the module)."""

from __future__ import annotations

import asyncio
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


def test_lifecycle_flows_tag_runs_with_the_project(
    prefect_server: None, people: App, db_url: str, evidence_file: Path
) -> None:
    from accompany.flows.lifecycle import complete_stage_flow, decide_approval_flow, start_project_flow

    now = people.now()
    project_id = asyncio.run(start_project_flow(start_command(), database_url=db_url, now=now))
    asyncio.run(
        complete_stage_flow(
            CompleteStage(
                project_id=project_id,
                stage="needs-survey",
                by="wangrb",
                evidence={"households_interviewed": "40", "observation_days": "3"},
                attachments=[AttachmentInput(key="problem_map", path=str(evidence_file))],
            ),
            database_url=db_url,
            now=now,
        )
    )
    asyncio.run(
        decide_approval_flow(
            DecideApproval(project_id=project_id, stage="needs-survey", by="zhaoy", decision="approve"),
            database_url=db_url,
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
                database_url=db_url,
                now=now,
            )
        )


def test_reminder_flows(prefect_server: None, people: App, db_url: str, tmp_path: Path) -> None:
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
            saturday = asyncio.run(
                send_reminders_flow(now=parse_moment("2026-04-11T09:00"), database_url=db_url)
            )
            assert saturday["skipped"] == "not a working day"
            weekday = asyncio.run(
                send_reminders_flow(now=parse_moment("2026-04-09T09:00"), database_url=db_url)
            )
            assert weekday["queued"] == 1 and weekday["by_kind"] == {"due-soon": 1}
            sent = asyncio.run(
                dispatch_notifications_flow(now=parse_moment("2026-04-09T09:05"), database_url=db_url)
            )
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
    out = ok("demo")
    assert "steps run through: Prefect flows" in out and "project status: completed" in out
    assert sorted(p.name for p in home.rglob("*") if p.is_file()) == []
