"""Delivery that never repeats itself without a crash, and never sends what no
longer holds: leases renewed and re-checked, a real thread pool sized by the
setting, timeouts told apart from refusals, one run sends each row at most once,
stale notifications dropped with the reason kept. Real Apprise to local receivers."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select

from accompany.bootstrap import App, build_app
from accompany.clock import FixedClock, parse_moment
from accompany.config.settings import Settings
from accompany.db.orm import NotificationRow
from accompany.notifications.fake import FakeNotifier
from accompany.services import commands
from accompany.services.commands import CompleteStage, DecideApproval
from accompany.services.dispatch import dispatch
from accompany.services.ports import Channel
from accompany.services.reminders import sweep

from ..conftest import start_command
from ..receivers import HttpReceiver, apprise_yaml


class RunningClock:
    """Starts at a fixed working-day moment and runs in real time."""

    def __init__(self, start: dt.datetime):
        self.start, self.t0 = start, time.monotonic()

    def now(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=time.monotonic() - self.t0)


def outbox(app: App) -> list[NotificationRow]:
    with app.reader() as uow:
        return list(uow.session.scalars(select(NotificationRow).order_by(NotificationRow.id)))


def everyone(http: HttpReceiver, tmp_path: Path, query: str = "") -> Path:
    path = tmp_path / "apprise.yaml"
    path.write_text(
        apprise_yaml(
            {
                http.url("planner") + query: "person-wangrb",
                http.url("street") + query: "street-office-taiyanggong",
                http.url("coordinator") + query: "person-zhangl",
            }
        ),
        encoding="utf-8",
    )
    return path


def dispatcher(db_url: str, settings: Settings, clock: object, config: Path, **overrides: object) -> App:
    own = settings.model_copy(update={"apprise_config": config, **overrides})
    return build_app(own, database_url=db_url, clock=clock)  # type: ignore[arg-type]


def test_a_batch_that_outlasts_its_lease_is_not_sent_twice_by_a_second_dispatcher(
    people: App, db_url: str, settings: Settings, http: HttpReceiver, tmp_path: Path
) -> None:
    """The kill -9 campaign's one repeat without a crash: a slow channel, a batch
    longer than the lease, and a dispatcher started after the lease ran out."""
    for index in range(7):
        commands.start_project(people, start_command(name=f"项目{index}"))  # 21 messages
    config = everyone(http, tmp_path)
    http.delay = 0.25
    clock = RunningClock(parse_moment("2026-03-02T10:00"))
    # a 1-second lease (below the setting's floor, as a compressed 300 s): the first
    # dispatcher needs ~2.6 s for its batch of 21 at 2 in flight
    apps = [
        dispatcher(db_url, settings, clock, config, dispatch_lease_seconds=1, dispatch_concurrency=2)
        for _ in range(3)
    ]
    results = []

    def run(app: App, wait: float) -> None:
        time.sleep(wait)
        results.append(dispatch(app, app.notifier()))

    threads = [threading.Thread(target=run, args=(a, w)) for a, w in zip(apps, (0, 1.5, 2.2), strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    delivered = Counter(ref for r in http.delivered for ref in r.refs)
    assert {ref: n for ref, n in delivered.items() if n > 1} == {}
    assert len(delivered) == 21 and sum(r.sent for r in results) == 21
    assert {r.status for r in outbox(people)} == {"sent"}
    assert sum(r.unrecorded for r in results) == 0


class StealingNotifier(FakeNotifier):
    """After the first channel accepts, another dispatcher takes the row over (as if
    this one had stalled past its lease)."""

    def __init__(self, app: App, **kwargs: object):
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.app = app

    def send(self, channel: Channel, title: str, body: str, attachments: Sequence[str] = ()) -> None:
        super().send(channel, title, body, attachments)
        with self.app.uow() as uow:
            for row in uow.session.scalars(
                select(NotificationRow).where(NotificationRow.status == "sending")
            ):
                row.claimed_by = "someone-else"
            uow.commit()


def test_the_claim_is_checked_before_each_send_and_a_lost_one_is_counted(people: App) -> None:
    commands.start_project(people, start_command())
    notifier = StealingNotifier(
        people,
        tags={
            "person-wangrb": ["wecom", "mail"],
            "street-office-taiyanggong": ["street"],
            "person-zhangl": ["coordinator"],
        },
    )
    people.settings.dispatch_concurrency = 1
    result = dispatch(people, notifier, max_batches=1)
    # the planner's second channel was never tried: the claim was gone by then
    assert [key for key, _, _ in notifier.sent].count("mail") == 0
    # after the first send every claim was gone: the two other messages stay unsent
    # (left to whoever holds them), the one that went out is counted as unrecorded
    assert len(notifier.sent) == 1
    assert (result.unrecorded, result.released, result.sent) == (1, 2, 0)


def test_concurrency_setting_really_bounds_messages_in_flight(
    people: App, db_url: str, settings: Settings, http: HttpReceiver, tmp_path: Path
) -> None:
    """Apprise's async_notify ran every send on its shared pool (CPUs + 4 = 6 here),
    so 16 meant 6. The dispatcher's own pool makes the setting real."""
    for index in range(12):
        commands.start_project(people, start_command(name=f"项目{index}"))  # 36 messages
    config = everyone(http, tmp_path)
    http.delay = 0.4
    clock = FixedClock(parse_moment("2026-03-02T10:00"))
    wide = dispatcher(db_url, settings, clock, config, dispatch_concurrency=16)
    started = time.monotonic()
    assert dispatch(wide, wide.notifier()).sent == 36
    elapsed = time.monotonic() - started
    assert http.max_in_flight >= 12, http.max_in_flight
    assert elapsed < 36 * 0.4 / 6, elapsed  # faster than the old ceiling of 6

    for index in range(3):
        commands.start_project(people, start_command(name=f"再来{index}"))
    http.max_in_flight = 0
    narrow = dispatcher(db_url, settings, clock, config, dispatch_concurrency=3)
    assert dispatch(narrow, narrow.notifier()).sent == 9
    assert http.max_in_flight <= 3


def test_a_timeout_is_told_apart_from_a_refusal(
    people: App, db_url: str, settings: Settings, http: HttpReceiver, tmp_path: Path
) -> None:
    commands.start_project(people, start_command())
    clock = FixedClock(parse_moment("2026-03-02T10:00"))
    slow = dispatcher(db_url, settings, clock, everyone(http, tmp_path, "?rto=0.3"))
    http.delay = 1.0
    result = dispatch(slow, slow.notifier())
    assert result.retried == 3 and result.timeouts == 3
    errors = {r.last_error for r in outbox(people)}
    assert all(e.startswith("timed out:") and "may have received" in e for e in errors), errors
    http.delay = 0
    http.fail_next = 3
    clock.advance(seconds=61)
    refused = dispatcher(db_url, settings, clock, everyone(http, tmp_path))
    assert dispatch(refused, refused.notifier()).retried == 3
    errors = {r.last_error for r in outbox(people)}
    assert all(e.startswith("refused:") and "HTTP 500" in e for e in errors), errors


def test_one_run_sends_each_row_at_most_once_and_returns(
    people: App, db_url: str, settings: Settings, http: HttpReceiver, tmp_path: Path
) -> None:
    """A run used to claim its own retries again as their backoff ran out, until
    they were dead (326 s observed)."""
    commands.start_project(people, start_command())
    clock = RunningClock(parse_moment("2026-03-02T10:00"))
    app = dispatcher(
        db_url, settings, clock, everyone(http, tmp_path), dispatch_retry_base_seconds=1, dispatch_batch=1
    )
    http.fail_next = 1000
    http.delay = 0.6  # each message outlasts the 1-second backoff of the one before
    started = time.monotonic()
    result = dispatch(app, app.notifier())
    assert (result.claimed, result.retried, result.dead) == (3, 3, 0)
    assert len(http.requests) == 3
    assert {r.attempts for r in outbox(people)} == {1}
    assert time.monotonic() - started < 10


# -- stale notifications ---------------------------------------------------------------


def done_needs_survey(app: App, project_id: int, evidence_file: Path) -> None:
    commands.complete_stage(
        app,
        CompleteStage(
            project_id=project_id,
            stage="needs-survey",
            by="wangrb",
            evidence={"households_interviewed": "33", "observation_days": "4"},
            attachments=[commands.AttachmentInput(key="problem_map", path=str(evidence_file))],
        ),
    )


def test_an_approval_request_for_a_stage_already_approved_is_dropped_not_sent(
    people: App, project_id: int, clock: FixedClock, evidence_file: Path
) -> None:
    notifier = FakeNotifier(
        tags={"person-wangrb": ["planner"], "street-office-taiyanggong": ["street"], "person-zhangl": ["c"]}
    )
    dispatch(people, notifier)  # the start messages
    clock.moment = parse_moment("2026-03-20T10:00")
    done_needs_survey(people, project_id, evidence_file)
    commands.decide_approval(
        people,
        DecideApproval(project_id=project_id, stage="needs-survey", by="zhaoy", decision="approve"),
    )
    before = len(notifier.sent)
    result = dispatch(people, notifier)
    assert result.dropped == 1 and result.sent == 1
    sent = notifier.sent[before:]
    assert [key for key, _, _ in sent] == ["planner"] and "已通过" in sent[0][1]
    request = next(r for r in outbox(people) if r.kind == "approval-requested")
    assert request.status == "dropped" and request.last_error == "dropped: stage already approved"
    assert request.sent_at is None


def test_an_extension_request_is_not_delivered_after_its_decision(
    people: App, project_id: int, clock: FixedClock
) -> None:
    notifier = FakeNotifier(
        tags={"person-wangrb": ["planner"], "street-office-taiyanggong": ["street"], "person-zhangl": ["c"]}
    )
    dispatch(people, notifier)
    clock.moment = parse_moment("2026-03-10T10:00")
    commands.request_extension(
        people,
        commands.RequestExtension(
            project_id=project_id, stage="needs-survey", by="wangrb", working_days=5, reason="雨季入户困难"
        ),
    )
    commands.decide_extension(
        people,
        commands.DecideExtension(project_id=project_id, stage="needs-survey", by="zhaoy", grant=True),
    )
    before = len(notifier.sent)
    result = dispatch(people, notifier)
    assert result.dropped == 1
    assert [key for key, _, _ in notifier.sent[before:]] == ["planner"]  # the decision only
    asked = next(r for r in outbox(people) if r.kind == "extension-requested")
    assert (asked.status, asked.last_error) == ("dropped", "dropped: extension already decided")


def test_a_digest_says_nothing_of_a_reminder_that_no_longer_holds(
    people: App, clock: FixedClock, evidence_file: Path
) -> None:
    first = commands.start_project(people, start_command()).project_id
    second = commands.start_project(people, start_command(name="太阳宫南街步道")).project_id
    assert first is not None and second is not None
    notifier = FakeNotifier(
        tags={"person-wangrb": ["planner"], "street-office-taiyanggong": ["street"], "person-zhangl": ["c"]}
    )
    dispatch(people, notifier)
    clock.moment = parse_moment("2026-04-09T09:00")
    assert sweep(people).by_kind() == {"due-soon": 2}
    clock.moment = parse_moment("2026-04-09T09:02")
    done_needs_survey(people, first, evidence_file)  # the first is done before the digest goes
    before = len(notifier.sent)
    result = dispatch(people, notifier)
    assert result.dropped == 1
    digest = next(body for key, title, body in notifier.sent[before:] if key == "planner")
    assert f"#{second}" in digest and f"#{first}" not in digest
    assert "1 项待办提醒" in next(title for key, title, _ in notifier.sent[before:] if key == "planner")
    dropped = next(r for r in outbox(people) if r.status == "dropped")
    assert dropped.project_id == first and dropped.last_error == "dropped: stage already marked done"
