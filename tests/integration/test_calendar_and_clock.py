"""Deadlines over the statutory calendar on a real database: the unknown-year policy,
an operator-added year, the stage clock (pause/resume) and extensions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from accompany.bootstrap import App
from accompany.clock import FixedClock, parse_moment
from accompany.models.errors import Conflict, InvalidInput, PermissionDenied, RuleViolation
from accompany.services import commands
from accompany.services.calendar import add_calendar_file, provisional_years, sync_calendar
from accompany.services.commands import (
    DecideExtension,
    PauseClock,
    RequestExtension,
    ResumeClock,
)
from accompany.services.queries import list_projects, show_project

from ..conftest import start_command
from .test_services import snapshot

# The tests below that start a project in December 2026 run on the calendar as known in
# late 2026 (the ``calendar_as_of_2026`` fixture): 2027 is unknown whatever the installed
# chinese-calendar knows, so their hand-worked dates hold.
# Test data, not the State Council's schedule: New Year's Day off, one make-up Saturday.
YEAR_2027 = """\
year: 2027
source: test schedule for 2027 (not official)
holidays:
  - {name: 元旦, from: 2027-01-01, to: 2027-01-03}
  - {name: 春节, from: 2027-02-06, to: 2027-02-12}
workdays:
  - {name: 春节调休, date: 2027-02-20}
"""


def late_project(app: App, clock: FixedClock) -> int:
    """A project started 2026-12-01: needs-survey's 30 working days reach into 2027."""
    clock.moment = parse_moment("2026-12-01T09:00")
    outcome = commands.start_project(
        app,
        start_command(
            start=dt.date(2026, 12, 1), stage_deadlines={"construction-accompany": dt.date(2027, 9, 30)}
        ),
    )
    assert outcome.project_id is not None
    return outcome.project_id


def test_unknown_year_is_provisional_then_recomputed_when_added(
    calendar_as_of_2026: int, people: App, clock: FixedClock, tmp_path: Path
) -> None:
    project_id = late_project(people, clock)
    survey = show_project(people, project_id).stages[0]
    # weekdays only in 2027: Dec 2–31 has 22 working days, then Jan 1 (Fri), 4–8 …
    assert survey.timing.due == dt.date(2027, 1, 12)
    assert survey.timing.provisional is True
    assert survey.deadline_basis["calendar"]["2027"] == "unknown: weekdays only (provisional)"
    # a date given at start (construction-accompany) is not a guess: only needs-survey
    assert provisional_years(people) == {2027: 1}
    listing, _ = list_projects(people)
    assert listing[0].current[0].timing.provisional is True

    calendar_file = tmp_path / "2027-schedule.yaml"
    calendar_file.write_text(YEAR_2027, encoding="utf-8")
    clock.moment = parse_moment("2026-12-05T10:00")
    installed, result = add_calendar_file(people, calendar_file)
    assert installed == people.settings.calendar_dir / "2027.yaml"
    assert (result.projects_checked, result.deadlines_changed) == (1, 1)
    detail = show_project(people, project_id, with_events=True)
    survey = detail.stages[0]
    assert survey.timing.due == dt.date(2027, 1, 13)  # Jan 1 is off now
    assert survey.timing.provisional is False
    assert survey.deadline_basis["calendar"]["2027"].startswith("test schedule for 2027")
    change = next(e for e in detail.events if e.kind == "stage.deadline_changed")
    assert (change.before, change.after) == ("2027-01-12", "2027-01-13")
    assert change.data["reason"] == "calendar recheck"
    assert provisional_years(people) == {}
    # nothing left to do: a second sync changes nothing
    assert sync_calendar(people).deadlines_changed == 0


def test_a_file_dropped_into_the_folder_is_picked_up_by_a_sync(
    calendar_as_of_2026: int, people: App, clock: FixedClock
) -> None:
    project_id = late_project(people, clock)
    first = sync_calendar(people)  # remembers the data in force; nothing is stale
    assert (first.previous, first.projects_checked, first.deadlines_changed) == (None, 0, 0)
    (people.settings.calendar_dir / "2027.yaml").write_text(YEAR_2027, encoding="utf-8")
    people.reload_calendar()
    result = sync_calendar(people)
    assert result.previous == first.fingerprint != result.fingerprint
    assert (result.projects_checked, result.deadlines_changed) == (1, 1)
    detail = show_project(people, project_id, with_events=True)
    survey = detail.stages[0]
    assert (survey.timing.due, survey.timing.provisional) == (dt.date(2027, 1, 13), False)
    change = next(e for e in detail.events if e.kind == "stage.deadline_changed")
    assert (change.stage, change.before, change.after) == ("needs-survey", "2027-01-12", "2027-01-13")
    assert change.data["reason"] == "calendar data changed"


def test_a_machine_without_the_added_year_does_not_move_the_deadlines_back(
    calendar_as_of_2026: int, people: App, clock: FixedClock, tmp_path: Path, db_url: str
) -> None:
    """Two machines on one database, the calendar folder not shared: 2027 added on the
    first; the second's sweep (and an operator's recompute there) must not recompute
    the deadlines from its weekdays-only guess — each move back and forth would be
    logged. It says why, and the deadlines stay."""
    from accompany.bootstrap import build_app
    from accompany.config.settings import Settings
    from accompany.services.reminders import sweep

    project_id = late_project(people, clock)
    calendar_file = tmp_path / "2027-schedule.yaml"
    calendar_file.write_text(YEAR_2027, encoding="utf-8")
    clock.moment = parse_moment("2026-12-07T10:00")
    add_calendar_file(people, calendar_file)
    assert show_project(people, project_id).stages[0].timing.due == dt.date(2027, 1, 13)

    other_folder = tmp_path / "other-machine-calendars"
    other_folder.mkdir()
    other = build_app(
        Settings(home=tmp_path / "other-home", calendar_dir=other_folder, attachments_dir=tmp_path / "files"),
        database_url=db_url,
        clock=clock,
        wall_clock=clock,
    )
    before = snapshot(people)
    result = sweep(other)
    assert result.calendar_refused is not None and "2027" in str(result.calendar_refused)
    with pytest.raises(Conflict, match="calendar differs"):
        sync_calendar(other, force_all=True)
    assert snapshot(people)["stage"] == before["stage"]
    survey = show_project(people, project_id).stages[0]
    assert (survey.timing.due, survey.timing.provisional) == (dt.date(2027, 1, 13), False)
    # the same data on the second machine: nothing to refuse, nothing to move
    (other_folder / "2027.yaml").write_text(YEAR_2027, encoding="utf-8")
    other.reload_calendar()
    assert sync_calendar(other, automatic=True).deadlines_changed == 0


def test_a_corrected_known_year_moves_non_provisional_deadlines(people: App, project_id: int) -> None:
    sync_calendar(people)
    # an operator correction: 2026-04-13 declared a day off (not real data)
    (people.settings.calendar_dir / "2026.yaml").write_text(
        "year: 2026\nsource: corrected 2026 (test)\nholidays:\n  - 2026-04-06\n  - 2026-04-13\n",
        encoding="utf-8",
    )
    people.reload_calendar()
    before = show_project(people, project_id).stages[0].timing.due
    sync_calendar(people)
    after = show_project(people, project_id).stages[0].timing.due
    # 30 working days from 2026-03-02: 04-14 with Qingming (04-06) off; 04-13 off as well → 04-15
    assert (before, after) == (dt.date(2026, 4, 14), dt.date(2026, 4, 15))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("year: 2027\nsource: x\n", "holidays: is required"),
        (
            "year: 2027\nsource: test\nholidays: [2027-13-01]\n",
            "line 3: 2027-13-01 is not a date on the calendar",
        ),
        ("year: 2027\nsource: test\nholidays: [2026-10-01]\n", "is not in year 2027"),
        ("year: 2027\nsource: test\nholidays: [{from: 2027-02-10, to: 2027-02-01}]\n", "is before from"),
        ("year: 2027\nsource: test\nholidays: [2027-02-20]\nworkdays: [2027-02-20]\n", "both as a holiday"),
        ("year: [2027\n", "not valid YAML"),
        ("- just a list\n", "expected a mapping"),
    ],
)
def test_malformed_calendar_file_is_refused_and_nothing_changes(
    calendar_as_of_2026: int, people: App, clock: FixedClock, tmp_path: Path, content: str, message: str
) -> None:
    late_project(people, clock)
    before = snapshot(people)
    bad = tmp_path / "bad.yaml"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        add_calendar_file(people, bad)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert not (people.settings.calendar_dir / "2027.yaml").exists()
    assert snapshot(people) == before


def test_pause_and_resume_move_the_deadline_and_stop_overdue(
    people: App, project_id: int, clock: FixedClock
) -> None:
    with pytest.raises(PermissionDenied, match="only a coordinator"):
        commands.pause_clock(
            people, PauseClock(project_id=project_id, stage="needs-survey", by="wangrb", reason="x")
        )
    with pytest.raises(RuleViolation, match="not paused"):
        commands.resume_clock(people, ResumeClock(project_id=project_id, stage="needs-survey", by="zhangl"))
    clock.moment = parse_moment("2026-04-01T09:00")  # Wednesday
    commands.pause_clock(
        people, PauseClock(project_id=project_id, stage="needs-survey", by="zhangl", reason="等待居民回迁")
    )
    with pytest.raises(Conflict, match="already paused"):
        commands.pause_clock(
            people, PauseClock(project_id=project_id, stage="needs-survey", by="liuq", reason="y")
        )
    clock.moment = parse_moment("2026-04-20T09:00")  # past the 04-14 deadline, but paused
    assert list_projects(people, overdue_only=True)[1] == 0
    detail = show_project(people, project_id)
    assert detail.stages[0].timing.paused is True and detail.stages[0].timing.overdue is False
    outcome = commands.resume_clock(
        people, ResumeClock(project_id=project_id, stage="needs-survey", by="liuq")
    )
    resumed = next(e for e in outcome.events if e.kind.value == "stage.clock_resumed")
    # paused Wed 04-01 → Mon 04-20: 04-01…04-03, 04-07…04-10, 04-13…04-17 (Qingming 04-06 off) = 12
    assert resumed.data["paused_working_days"] == 12
    survey = show_project(people, project_id).stages[0]
    assert survey.timing.due == dt.date(2026, 4, 30)  # 04-14 + 12 working days
    assert survey.deadline_basis["paused_working_days"] == 12
    assert survey.pauses[0].reason == "等待居民回迁" and survey.pauses[0].resumed_by == "liuq"


def test_extension_request_grant_and_refuse(people: App, project_id: int, clock: FixedClock) -> None:
    clock.moment = parse_moment("2026-04-08T09:00")
    for days in (0, -2, 251):
        with pytest.raises(InvalidInput, match="extension must be"):
            commands.request_extension(
                people,
                RequestExtension(
                    project_id=project_id, stage="needs-survey", by="wangrb", working_days=days, reason="x"
                ),
            )
    with pytest.raises(InvalidInput, match="needs a reason"):
        commands.request_extension(
            people,
            RequestExtension(
                project_id=project_id, stage="needs-survey", by="wangrb", working_days=5, reason=" "
            ),
        )
    with pytest.raises(RuleViolation, match="no extension request waiting"):
        commands.decide_extension(
            people, DecideExtension(project_id=project_id, stage="needs-survey", by="zhaoy", grant=True)
        )
    commands.request_extension(
        people,
        RequestExtension(
            project_id=project_id,
            stage="needs-survey",
            by="wangrb",
            working_days=5,
            reason="部分住户外出务工，需延长入户访谈",
        ),
    )
    with pytest.raises(Conflict, match="already has an extension request"):
        commands.request_extension(
            people,
            RequestExtension(
                project_id=project_id, stage="needs-survey", by="wangrb", working_days=2, reason="y"
            ),
        )
    with pytest.raises(PermissionDenied):
        commands.decide_extension(
            people, DecideExtension(project_id=project_id, stage="needs-survey", by="zhangl", grant=True)
        )
    with pytest.raises(InvalidInput, match="granted days must be 1–5"):
        commands.decide_extension(
            people,
            DecideExtension(
                project_id=project_id, stage="needs-survey", by="zhaoy", grant=True, working_days=8
            ),
        )
    commands.decide_extension(
        people,
        DecideExtension(project_id=project_id, stage="needs-survey", by="zhaoy", grant=True, working_days=3),
    )
    survey = show_project(people, project_id).stages[0]
    assert survey.timing.due == dt.date(2026, 4, 17)  # 04-14 + 3 working days
    assert survey.extensions[0].status == "granted" and survey.extensions[0].granted_days == 3

    commands.request_extension(
        people,
        RequestExtension(
            project_id=project_id, stage="needs-survey", by="wangrb", working_days=10, reason="再延"
        ),
    )
    with pytest.raises(InvalidInput, match="needs a reason"):
        commands.decide_extension(
            people, DecideExtension(project_id=project_id, stage="needs-survey", by="sunh", grant=False)
        )
    commands.decide_extension(
        people,
        DecideExtension(
            project_id=project_id, stage="needs-survey", by="sunh", grant=False, comment="时间充足"
        ),
    )
    survey = show_project(people, project_id, with_events=True).stages[0]
    assert survey.timing.due == dt.date(2026, 4, 17)
    assert [e.status for e in survey.extensions] == ["granted", "refused"]
    assert survey.extensions[1].comment == "时间充足"


def test_web_requests_share_the_calendar_and_see_a_new_file_at_once(
    calendar_as_of_2026: int, app: App
) -> None:
    """Each web request acts through a clone of the application (App.via): the clones
    share one parsed calendar and template catalog, and a calendar file dropped into
    the folder while the server runs is in force from the next request on."""
    from accompany.bootstrap import Origin

    first, second = app.via(Origin("web")), app.via(Origin("web"), language="en")
    assert first.calendar is second.calendar
    assert first.catalog is second.catalog
    assert first.calendar.is_working_day(dt.date(2027, 1, 1))  # unknown year: weekdays only
    (app.settings.calendar_dir / "2027.yaml").write_text(YEAR_2027, encoding="utf-8")
    third = app.via(Origin("web"))
    assert third.calendar is not first.calendar
    assert not third.calendar.is_working_day(dt.date(2027, 1, 1))
    assert app.via(Origin("web")).calendar is third.calendar
