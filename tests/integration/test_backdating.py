"""Time in the record, through the service layer on both databases: an operator
back-fills with an earlier acting time; the log keeps both times; moments the
history cannot take are refused and change nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from accompany.bootstrap import App, build_app
from accompany.clock import FixedClock, parse_moment
from accompany.config.settings import EXAMPLE_PEOPLE, Settings
from accompany.db.orm import EventRow
from accompany.directory import read_directory
from accompany.models.errors import RuleViolation
from accompany.models.report import Quarter
from accompany.services import commands
from accompany.services.commands import (
    AttachmentInput,
    CompleteStage,
    DecideApproval,
    DecideExtension,
    PauseClock,
    RequestExtension,
)
from accompany.services.queries import show_project
from accompany.services.reports import quarterly_report

from ..conftest import start_command
from .test_services import snapshot

REAL = "2026-11-26T10:03"
LATER = {"construction-accompany": dt.date(2027, 6, 30)}


@pytest.fixture
def acting() -> FixedClock:
    """The moment the operator gives (``--now``)."""
    return FixedClock(parse_moment("2026-03-02T09:00"))


@pytest.fixture
def wall() -> FixedClock:
    """The real time (a fake of the system clock)."""
    return FixedClock(parse_moment(REAL))


def operator_app(db_url: str, settings: Settings, acting: FixedClock, wall: FixedClock) -> App:
    return build_app(settings, database_url=db_url, clock=acting, wall_clock=wall)


@pytest.fixture
def backfill(db_url: str, settings: Settings, acting: FixedClock, wall: FixedClock) -> App:
    app = operator_app(db_url, settings, acting, wall)
    commands.load_directory(app, read_directory(EXAMPLE_PEOPLE))
    return app


def survey(app: App, project_id: int, evidence_file: Path) -> None:
    commands.complete_stage(
        app,
        CompleteStage(
            project_id=project_id,
            stage="needs-survey",
            by="wangrb",
            evidence={"households_interviewed": "35", "observation_days": "4"},
            attachments=[AttachmentInput(key="problem_map", path=str(evidence_file))],
        ),
    )


def approve(app: App, project_id: int) -> commands.Outcome:
    return commands.decide_approval(
        app, DecideApproval(project_id=project_id, stage="needs-survey", by="zhaoy", decision="approve")
    )


def event_times(app: App, project_id: int) -> list[tuple[str, dt.datetime, dt.datetime]]:
    with app.reader() as uow:
        rows = uow.session.execute(
            select(EventRow.kind, EventRow.occurred_at, EventRow.recorded_at)
            .where(EventRow.project_id == project_id)
            .order_by(EventRow.id)
        ).all()
    return [(kind, occurred, recorded) for kind, occurred, recorded in rows]


def test_a_backfill_is_recorded_with_both_times(
    backfill: App, acting: FixedClock, evidence_file: Path
) -> None:
    project_id = commands.start_project(backfill, start_command()).project_id
    assert project_id is not None
    acting.moment = parse_moment("2026-03-20T10:00")
    survey(backfill, project_id, evidence_file)
    acting.moment = parse_moment("2026-03-23T10:00")
    approve(backfill, project_id)

    times = event_times(backfill, project_id)
    assert {kind for kind, _, _ in times} >= {"project.started", "stage.submitted", "stage.approved"}
    by_kind = {kind: (occurred, recorded) for kind, occurred, recorded in times}
    assert by_kind["stage.submitted"] == (parse_moment("2026-03-20T10:00"), parse_moment(REAL))
    assert by_kind["stage.approved"] == (parse_moment("2026-03-23T10:00"), parse_moment(REAL))
    assert all(recorded == parse_moment(REAL) for _, _, recorded in times)

    shown = show_project(backfill, project_id, with_events=True)
    assert shown.events and all(e.backdated for e in shown.events)
    submitted = next(e for e in shown.events if e.kind == "stage.submitted")
    assert submitted.at.strftime("%Y-%m-%d %H:%M") == "2026-03-20 10:00"
    assert submitted.recorded_at is not None
    assert submitted.recorded_at.strftime("%Y-%m-%d %H:%M") == "2026-11-26 10:03"


def test_a_write_at_the_real_time_is_not_backdated(db_url: str, settings: Settings, wall: FixedClock) -> None:
    app = operator_app(db_url, settings, wall, wall)
    commands.load_directory(app, read_directory(EXAMPLE_PEOPLE))
    project_id = commands.start_project(
        app, start_command(start=dt.date(2026, 11, 26), stage_deadlines=LATER)
    ).project_id
    assert project_id is not None
    shown = show_project(app, project_id, with_events=True)
    assert shown.events and not any(e.backdated for e in shown.events)
    assert {recorded for _, _, recorded in event_times(app, project_id)} == {parse_moment(REAL)}


@pytest.fixture
def started(backfill: App) -> int:
    project_id = commands.start_project(backfill, start_command()).project_id
    assert project_id is not None
    return project_id


def test_moments_the_history_cannot_take_are_refused_and_change_nothing(
    backfill: App, started: int, acting: FixedClock, evidence_file: Path
) -> None:
    acting.moment = parse_moment("2026-03-20T10:00")
    survey(backfill, started, evidence_file)
    before = snapshot(backfill)

    # an approval dated before the submission it answers
    acting.moment = parse_moment("2026-03-19T16:00")
    with pytest.raises(RuleViolation, match="it was marked done later, at 2026-03-20 10:00"):
        approve(backfill, started)
    # ... and so is a return
    with pytest.raises(RuleViolation, match="marked done later"):
        commands.decide_approval(
            backfill,
            DecideApproval(
                project_id=started, stage="needs-survey", by="zhaoy", decision="return", comment="补充"
            ),
        )
    # in the future of the real clock
    acting.moment = parse_moment("2026-11-26T10:09")
    with pytest.raises(RuleViolation, match=r"that is in the future \(it is 2026-11-26 10:03 now\)"):
        approve(backfill, started)
    assert snapshot(backfill) == before

    acting.moment = parse_moment("2026-03-23T10:00")
    assert "stage.approved" in approve(backfill, started).kinds()


def test_before_the_project_start_and_before_the_stage_last_event(
    backfill: App, acting: FixedClock, evidence_file: Path
) -> None:
    acting.moment = parse_moment("2026-03-02T09:00")
    project_id = commands.start_project(backfill, start_command(start=dt.date(2026, 3, 5))).project_id
    assert project_id is not None
    acting.moment = parse_moment("2026-03-05T09:00")
    assert commands.begin_due_projects(backfill) == 1  # the stages begin on their start day
    before = snapshot(backfill)
    acting.moment = parse_moment("2026-03-04T18:00")
    with pytest.raises(RuleViolation, match="the project starts on 2026-03-05"):
        commands.pause_clock(
            backfill, PauseClock(project_id=project_id, stage="needs-survey", by="zhangl", reason="停工")
        )
    acting.moment = parse_moment("2026-03-05T08:00")
    with pytest.raises(RuleViolation, match="its last recorded event is later, at 2026-03-05 09:00"):
        commands.request_extension(
            backfill,
            RequestExtension(
                project_id=project_id, stage="needs-survey", by="wangrb", working_days=3, reason="外出"
            ),
        )
    assert snapshot(backfill) == before

    acting.moment = parse_moment("2026-03-10T09:00")
    commands.request_extension(
        backfill,
        RequestExtension(
            project_id=project_id, stage="needs-survey", by="wangrb", working_days=3, reason="外出"
        ),
    )
    acting.moment = parse_moment("2026-03-09T09:00")
    with pytest.raises(RuleViolation, match="the extension was requested later, at 2026-03-10 09:00"):
        commands.decide_extension(
            backfill, DecideExtension(project_id=project_id, stage="needs-survey", by="zhaoy", grant=True)
        )


def test_backdating_turned_off_refuses_an_earlier_moment(
    db_url: str, settings: Settings, acting: FixedClock, wall: FixedClock
) -> None:
    strict = settings.model_copy(update={"allow_backdating": False})
    app = build_app(strict, database_url=db_url, clock=acting, wall_clock=wall)
    before = snapshot(app)
    with pytest.raises(RuleViolation, match="back-dating is turned off here"):
        commands.load_directory(app, read_directory(EXAMPLE_PEOPLE))
    assert snapshot(app) == before
    acting.moment = parse_moment("2026-11-26T10:01")  # within the skew: the real time
    commands.load_directory(app, read_directory(EXAMPLE_PEOPLE))
    outcome = commands.start_project(app, start_command(start=dt.date(2026, 11, 26), stage_deadlines=LATER))
    assert outcome.project_id is not None


def test_the_report_counts_the_backdated_events_of_the_quarter(
    backfill: App, started: int, acting: FixedClock, evidence_file: Path
) -> None:
    acting.moment = parse_moment("2026-03-20T10:00")
    survey(backfill, started, evidence_file)
    acting.moment = parse_moment("2026-04-02T10:00")
    report = quarterly_report(backfill, Quarter.parse("2026Q1"))
    in_quarter = [
        kind
        for kind, occurred, _ in event_times(backfill, started)
        if parse_moment("2026-01-01T00:00") <= occurred < parse_moment("2026-04-01T00:00")
    ]
    assert report.meta["backdated_events"] == len(in_quarter) > 0


def test_a_simulation_backdates_nothing(people: App, project_id: int) -> None:
    """The test application runs its real time on the simulated clock."""
    shown = show_project(people, project_id, with_events=True)
    assert shown.events and not any(e.backdated for e in shown.events)
