"""The event log in a real Prefect API's event feed: each event of a project once,
named accompany.<kind>, about accompany.project.<id>, related to its stage, street,
district and people — after a second relay, after a crash between Prefect taking a
batch and the cursor's commit, and after Prefect was unreachable for a while.

Slow (a throwaway Prefect API server starts once for the module)."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from accompany.bootstrap import App
from accompany.clock import FixedClock
from accompany.db.orm import EventRow
from accompany.services import commands
from accompany.services.commands import AttachmentInput, CompleteStage, DecideApproval
from accompany.services.relay import event_uuid, relay, status

from ..conftest import start_command
from ..receivers import HttpReceiver

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

#: what the test saw in Prefect's feed for its project, for the record (-s prints it)
SEEN: dict[str, list[str]] = {}


@pytest.fixture(scope="module")
def prefect_server() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def clock() -> FixedClock:
    """Now: Prefect's server deletes events that occurred before its retention
    period (7 days by default), simulated dates included."""
    return FixedClock(dt.datetime.now(dt.UTC))


def _lifecycle(app: App, evidence_file: Path) -> int:
    project_id = commands.start_project(app, start_command()).project_id
    assert project_id is not None
    done = CompleteStage(
        project_id=project_id,
        stage="needs-survey",
        by="wangrb",
        evidence={"households_interviewed": "40", "observation_days": "3"},
        attachments=[AttachmentInput(key="problem_map", path=str(evidence_file))],
    )
    commands.complete_stage(app, done)
    commands.decide_approval(
        app,
        DecideApproval(
            project_id=project_id, stage="needs-survey", by="zhaoy", decision="return", comment="补充入户记录"
        ),
    )
    commands.complete_stage(app, done)
    commands.decide_approval(
        app, DecideApproval(project_id=project_id, stage="needs-survey", by="zhaoy", decision="approve")
    )
    return project_id


def _expected(app: App) -> dict[str, tuple[int, str]]:
    """Prefect event id → (event id, kind), for every event of the log."""
    with app.reader() as uow:
        rows = uow.session.execute(
            select(EventRow.id, EventRow.hash, EventRow.kind).order_by(EventRow.id)
        ).all()
    return {str(event_uuid(r.id, r.hash)): (r.id, r.kind) for r in rows}


async def _read(ids: Sequence[str]) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventIDFilter, EventOccurredFilter, EventOrder

    now = dt.datetime.now(dt.UTC)
    query = EventFilter(
        id=EventIDFilter(id=list(ids)),
        occurred=EventOccurredFilter(since=now - dt.timedelta(days=1), until=now + dt.timedelta(hours=1)),
        order=EventOrder.ASC,
    )
    async with get_client() as client:
        page = await client.read_events(filter=query, limit=50)
        events = list(page.events)
        while page.next_page is not None:
            page = await client.read_events_page(str(page.next_page))
            events += page.events
    return events


def _in_prefect(ids: Sequence[str], *, at_least: int) -> list[Any]:
    """The events with these ids in Prefect, once its persister has stored them
    (it writes in batches, a few seconds after the API took them)."""
    deadline = time.monotonic() + 60
    events = asyncio.run(_read(ids))
    while len(events) < at_least and time.monotonic() < deadline:
        time.sleep(1)
        events = asyncio.run(_read(ids))
    time.sleep(2)  # a duplicate would be stored by now too
    return asyncio.run(_read(ids))


class CrashAfterSending:
    """The real feed, then a crash before the relay commits its cursor."""

    def __init__(self) -> None:
        from accompany.flows.events import PrefectEventFeed

        self.feed = PrefectEventFeed()
        self.sent = 0

    def send(self, events: Sequence[dict[str, Any]]) -> None:
        self.feed.send(events)
        self.sent += len(events)
        raise SystemExit("relay killed after Prefect took the batch")


def test_prefect_sees_each_event_of_a_project_once(
    prefect_server: None, people: App, evidence_file: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.events import Event
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from accompany.flows.events import PrefectEventFeed, relay_events_flow

    project_id = _lifecycle(people, evidence_file)
    expected = _expected(people)
    assert len(expected) > 10

    # Prefect unreachable: nothing moves, one clear reason
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        down = relay(people, PrefectEventFeed(require_api_url=True), batch=5)
    assert not down.ok and "ConnectError" in (down.error or "") and "127.0.0.1:9" in (down.error or "")
    assert (down.sent, down.cursor, down.pending) == (0, 0, len(expected))

    # a crash after Prefect took the first batch, before the cursor's commit
    crashing = CrashAfterSending()
    with pytest.raises(SystemExit):
        relay(people, crashing, batch=5)
    assert crashing.sent == 5 and status(people) == (0, len(expected))

    # the scheduled flow relays everything (the first batch again), then by hand: nothing new
    monkeypatch.setenv("ACCOMPANY_DATABASE_URL", db_url)
    summary = asyncio.run(relay_events_flow())
    assert (summary["sent"], summary["pending"], summary["error"]) == (len(expected), 0, None)
    again = relay(people, PrefectEventFeed(require_api_url=True))
    assert (again.sent, again.ok) == (0, True)

    events: list[Event] = _in_prefect(list(expected), at_least=len(expected))
    ids = [str(e.id) for e in events]
    assert sorted(ids) == sorted(expected)  # every event, each exactly once
    by_event = sorted(events, key=lambda e: expected[str(e.id)][0])
    assert [e.event for e in by_event] == [f"accompany.{expected[str(e.id)][1]}" for e in by_event]

    mine = [e for e in by_event if e.resource.id == f"accompany.project.{project_id}"]
    names = [e.event for e in mine]
    SEEN[people.engine.dialect.name] = names
    print(
        f"\nPrefect's event feed for project {project_id} ({people.engine.dialect.name}):", *names, sep="\n  "
    )
    assert names[0] == "accompany.project.started"
    for kind in ("stage.activated", "stage.submitted", "stage.returned", "stage.approved"):
        assert f"accompany.{kind}" in names
    assert names.count("accompany.stage.returned") == 1
    assert names.count("accompany.stage.submitted") == 2
    approved = next(e for e in mine if e.event == "accompany.stage.approved")
    assert approved.resource.name == "太阳宫北街口袋公园更新"
    assert approved.occurred == people.now()
    related = {r.role: r for r in approved.related}
    assert related["stage"].id == f"accompany.project.{project_id}.stage.needs-survey"
    assert related["stage"].name == "需求调研"
    assert (related["street"].id, related["district"].id) == (
        "accompany.street.taiyanggong",
        "accompany.district.chaoyang",
    )
    assert (related["actor"].id, related["actor"].get("accompany.person.role")) == (
        "accompany.person.zhaoy",
        "street-office",
    )
    assert approved.payload["actor_name"] == related["actor"].name and approved.payload["channel"] == "cli"
    returned = next(e for e in mine if e.event == "accompany.stage.returned")
    assert "补充入户记录" not in returned.model_dump_json()  # the comment stays home
    # the directory load is about accompany itself
    loaded = next(e for e in by_event if e.event == "accompany.people.loaded")
    assert loaded.resource.id == "accompany"


def test_the_example_automation_notifies_the_district_of_a_stage_returned_twice(
    prefect_server: None, people: App, evidence_file: Path, http: HttpReceiver, tmp_path: Path
) -> None:
    """`prefect automation create --from-file config/prefect-automation.example.yaml`
    (with a webhook notification block of this server in it), then a stage returned
    twice and a relay: Prefect sends the district one message about it."""
    import os
    import subprocess
    import sys

    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.settings import PREFECT_API_URL

    from accompany.flows.events import PrefectEventFeed

    if people.engine.dialect.name != "sqlite":
        pytest.skip("the automation is Prefect's: one database is enough")
    example = Path(__file__).resolve().parents[2] / "config" / "prefect-automation.example.yaml"
    block_id = CustomWebhookNotificationBlock(
        name="district",
        url=f"http://127.0.0.1:{http.port}/district-chaoyang",
        json_data={"title": "{{subject}}", "message": "{{body}}"},
    ).save("accompany-district-chaoyang", overwrite=True)
    mine = tmp_path / "automation.yaml"
    mine.write_text(
        example.read_text(encoding="utf-8").replace("00000000-0000-0000-0000-000000000000", str(block_id)),
        encoding="utf-8",
    )
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}
    created = subprocess.run(
        [str(Path(sys.executable).with_name("prefect")), "automation", "create", "--from-file", str(mine)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert created.returncode == 0, created.stdout + created.stderr
    time.sleep(3)  # the triggers service loads new automations

    project_id = commands.start_project(people, start_command()).project_id
    assert project_id is not None
    done = CompleteStage(
        project_id=project_id,
        stage="needs-survey",
        by="wangrb",
        evidence={"households_interviewed": "40", "observation_days": "3"},
        attachments=[AttachmentInput(key="problem_map", path=str(evidence_file))],
    )
    back = DecideApproval(
        project_id=project_id, stage="needs-survey", by="zhaoy", decision="return", comment="补充"
    )
    commands.complete_stage(people, done)
    commands.decide_approval(people, back)
    assert relay(people, PrefectEventFeed()).ok
    time.sleep(5)
    assert http.delivered_to("district-chaoyang") == []  # once is not twice
    commands.complete_stage(people, done)
    commands.decide_approval(people, back)
    assert relay(people, PrefectEventFeed()).ok
    deadline = time.monotonic() + 90
    while not http.delivered_to("district-chaoyang") and time.monotonic() < deadline:
        time.sleep(1)
    [message] = http.delivered_to("district-chaoyang")
    assert "太阳宫北街口袋公园更新" in message.title
    assert "需求调研" in message.body and "赵阳" in message.body
