"""The project lifecycle as Prefect flows: the way automation (an integration, a
bulk job, the scheduler) drives the same commands people give on the CLI.

Each flow run is tagged ``project:<id>`` so a project's history shows in the Prefect
UI. Flows take the service layer's command models as parameters and return the
project id; a refusal fails the run with the same one-line message a person sees.
They read the database and the rest of the settings from the worker they run on:
no URL or secret is ever a parameter (Prefect stores parameters in its database).

The flows are ``async`` on purpose: Prefect 3 joins a heartbeat thread after every
synchronous flow run (~1 s each on these machines) while an async run costs
~0.1 s. The service call itself is synchronous and runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from ..bootstrap import App
from ..services import commands
from ..services.commands import CompleteStage, DecideApproval, Outcome, StartProject
from .app import flow_app


def project_tag(project_id: int) -> str:
    return f"project:{project_id}"


async def tag_current_run(*tags: str) -> None:
    """Add tags to the running flow run (start-project only learns the project id
    once the project exists)."""
    run_id = flow_run.get_id()
    if run_id is None:
        return
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        current = (await client.read_flow_run(run_id)).tags or []
        await client.update_flow_run(run_id, tags=sorted(set(current) | set(tags)))


async def _run(service: Callable[[App], Outcome], now: dt.datetime | None, what: str) -> int:
    outcome = await asyncio.to_thread(service, flow_app(now))
    assert outcome.project_id is not None
    await tag_current_run(project_tag(outcome.project_id))
    get_run_logger().info("%s: project %s, events %s", what, outcome.project_id, outcome.kinds())
    return outcome.project_id


@flow(name="start-project", flow_run_name="start-project {command.name}")
async def start_project_flow(command: StartProject, now: dt.datetime | None = None) -> int:
    """A coordinator's start of a project from a template."""
    return await _run(lambda app: commands.start_project(app, command), now, "started")


@flow(name="complete-stage", flow_run_name="complete-stage {command.project_id} {command.stage}")
async def complete_stage_flow(command: CompleteStage, now: dt.datetime | None = None) -> int:
    """A planner's "stage done" with evidence."""
    return await _run(lambda app: commands.complete_stage(app, command), now, "stage done")


@flow(name="decide-approval", flow_run_name="decide-approval {command.project_id} {command.stage}")
async def decide_approval_flow(command: DecideApproval, now: dt.datetime | None = None) -> int:
    """A street office's or district's approval or return."""
    return await _run(lambda app: commands.decide_approval(app, command), now, command.decision)
