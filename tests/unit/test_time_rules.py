"""The rules on the moment of a write (``--now``): the domain is given the acting
time and the real time by its caller and never reads a clock."""

from __future__ import annotations

import datetime as dt

import pytest

from accompany.models.errors import RuleViolation
from accompany.models.rules import (
    CLOCK_SKEW,
    ActingTime,
    Action,
    NotBeforeAnsweredEvent,
    NotBeforeProjectStart,
    NotBeforeStageHistory,
    TimedAttempt,
    check_acting_time,
    is_backdated,
)

from .world import PEOPLE, at, finish_survey, new_project

REAL = at("2026-11-26T10:03")


def acting(when: str, *, allowed: bool = True) -> ActingTime:
    return ActingTime(at(when), REAL, allowed)


def test_a_moment_within_the_skew_of_the_real_time_is_neither_future_nor_backdated() -> None:
    for moment in (REAL - CLOCK_SKEW, REAL, REAL + CLOCK_SKEW):
        time = ActingTime(moment, REAL, backdating_allowed=False)
        check_acting_time(time)
        assert not time.backdated


def test_a_write_cannot_be_dated_in_the_future() -> None:
    with pytest.raises(
        RuleViolation,
        match=r"cannot act at 2026-11-26 10:09: that is in the future \(it is 2026-11-26 10:03 now\)",
    ):
        check_acting_time(acting("2026-11-26T10:09"))
    with pytest.raises(RuleViolation, match="in the future"):
        check_acting_time(acting("2027-01-04T09:00"))


def test_back_dating_is_allowed_unless_turned_off() -> None:
    past = acting("2026-04-10T09:00")
    check_acting_time(past)
    assert past.backdated
    with pytest.raises(RuleViolation, match="back-dating is turned off here") as refused:
        check_acting_time(acting("2026-04-10T09:00", allowed=False))
    assert refused.value.field == "now"


def test_is_backdated_compares_the_two_times_with_the_skew() -> None:
    occurred = at("2026-04-10T09:00")
    assert is_backdated(occurred, at("2026-11-26T10:03"))
    assert not is_backdated(occurred, occurred + CLOCK_SKEW)
    assert not is_backdated(occurred, None)


def test_nothing_happens_to_a_stage_before_the_project_start() -> None:
    project = new_project("2026-03-02")
    with pytest.raises(
        RuleViolation,
        match="cannot pause the clock of stage Needs survey at 2026-03-01 18:00: "
        "the project starts on 2026-03-02",
    ):
        project.check_time("needs-survey", Action.PAUSE, acting("2026-03-01T18:00"))
    project.check_time("needs-survey", Action.PAUSE, acting("2026-03-02T09:00"))


def test_a_decision_comes_after_the_submission_it_answers() -> None:
    project = new_project()
    finish_survey(project, "2026-03-20T10:00")
    stage = project.stages["needs-survey"]
    rule = NotBeforeAnsweredEvent()
    for action in (Action.APPROVE, Action.RETURN):
        with pytest.raises(RuleViolation, match="it was marked done later, at 2026-03-20 10:00"):
            rule.check(TimedAttempt(project, stage, action, acting("2026-03-19T10:00")))
        rule.check(TimedAttempt(project, stage, action, acting("2026-03-20T10:00")))
    with pytest.raises(RuleViolation, match="cannot approve stage Needs survey at 2026-03-19 10:00"):
        project.check_time("needs-survey", Action.APPROVE, acting("2026-03-19T10:00"))


def test_an_extension_decision_comes_after_the_request() -> None:
    project = new_project()
    project.request_extension(
        "needs-survey", PEOPLE["wangrb"], working_days=5, reason="住户外出", now=at("2026-03-20T10:00")
    )
    stage = project.stages["needs-survey"]
    with pytest.raises(RuleViolation, match="the extension was requested later, at 2026-03-20 10:00"):
        NotBeforeAnsweredEvent().check(
            TimedAttempt(project, stage, Action.DECIDE_EXTENSION, acting("2026-03-20T09:59"))
        )
    project.check_time("needs-survey", Action.DECIDE_EXTENSION, acting("2026-03-20T10:30"))


def test_a_write_is_not_dated_before_the_stage_last_event() -> None:
    project = new_project()
    stage = project.stages["needs-survey"]
    rule = NotBeforeStageHistory()
    # what the event log says (read by the service layer) ...
    stage.last_event_at = at("2026-03-10T15:00")
    with pytest.raises(RuleViolation, match="its last recorded event is later, at 2026-03-10 15:00"):
        rule.check(TimedAttempt(project, stage, Action.PAUSE, acting("2026-03-10T14:00")))
    rule.check(TimedAttempt(project, stage, Action.PAUSE, acting("2026-03-10T15:00")))
    # ... and what the stage itself remembers
    stage.last_event_at = None
    project.pause_clock("needs-survey", PEOPLE["zhangl"], reason="冬季停工", now=at("2026-03-12T09:00"))
    assert stage.last_moment() == at("2026-03-12T09:00")
    with pytest.raises(RuleViolation, match="last recorded event is later"):
        project.check_time("needs-survey", Action.RESUME, acting("2026-03-11T09:00"))


def test_the_rules_run_in_order_general_first() -> None:
    project = new_project("2026-03-02")
    with pytest.raises(RuleViolation, match="in the future"):
        project.check_time("needs-survey", Action.PAUSE, acting("2027-03-01T09:00"))
    with pytest.raises(RuleViolation, match="back-dating is turned off"):
        project.check_time("needs-survey", Action.PAUSE, acting("2026-03-01T09:00", allowed=False))
    assert NotBeforeProjectStart.__doc__ and NotBeforeStageHistory.__doc__


def test_the_domain_takes_the_moment_it_is_given() -> None:
    time = ActingTime(at("2026-04-10T09:00"), REAL)
    assert time.at.tzinfo is not None and time.real == REAL
    assert time.real - time.at > dt.timedelta(days=200)
