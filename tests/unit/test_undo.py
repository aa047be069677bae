"""Undo (撤回) of a stage's last approval or return: the rules and the change, in
memory (the log is simulated: each command's events get ids and one recording
moment, as the event log gives them)."""

from __future__ import annotations

import datetime as dt

import pytest

from accompany.models.errors import Conflict, InvalidInput, PermissionDenied, RuleViolation
from accompany.models.events import Event, EventKind
from accompany.models.project import Project
from accompany.models.states import ProjectStatus, StageState
from accompany.models.template import ApprovalLevel
from accompany.models.undo import (
    DEFAULT_UNDO_WINDOW,
    LoggedEvent,
    decision_history,
    dependents,
    may_undo,
    undo_decision,
    undone_event_ids,
)

from .world import CALENDAR, PEOPLE, at, finish_survey, new_project

WINDOW = DEFAULT_UNDO_WINDOW


class Log:
    """The project's history events as the event log would hold them."""

    def __init__(self) -> None:
        self.events: list[LoggedEvent] = []

    def add(self, events: list[Event], recorded: dt.datetime | None = None) -> list[Event]:
        for event in events:
            self.events.append(
                LoggedEvent(
                    len(self.events) + 1,
                    event.kind.value,
                    event.stage,
                    event.actor,
                    event.at,
                    recorded or event.at,
                    dict(event.data),
                )
            )
        return events

    def history(self, key: str, by: str | None = None):  # type: ignore[no-untyped-def]
        return decision_history(key, self.events, by)


def submitted(log: Log) -> Project:
    project = new_project()
    finish_survey(project, "2026-03-20T10:00")
    log.add([Event(EventKind.STAGE_SUBMITTED, at("2026-03-20T10:00"), "wangrb", stage="needs-survey")])
    return project


def approve(project: Project, log: Log, who: str = "zhaoy", when: str = "2026-03-23T10:00") -> list[Event]:
    return log.add(
        project.approve_stage("needs-survey", PEOPLE[who], comment=None, now=at(when), calendar=CALENDAR)
    )


def undo(
    project: Project,
    log: Log,
    who: str = "zhaoy",
    *,
    real: str,
    reason: str = "点错了",
    key: str = "needs-survey",
):  # type: ignore[no-untyped-def]
    return undo_decision(
        project,
        key,
        PEOPLE[who],
        log.history(key, PEOPLE[who].id),
        reason=reason,
        now=at(real),
        real_now=at(real),
        window=WINDOW,
        calendar=CALENDAR,
    )


def test_undoing_the_final_approval_puts_the_stage_and_the_next_one_back() -> None:
    log = Log()
    project = submitted(log)
    caused = approve(project, log)
    assert project.stages["needs-list"].state is StageState.IN_PROGRESS
    due = project.stages["needs-list"].deadline
    assert due is not None
    assert EventKind.STAGE_ACTIVATED in [e.kind for e in caused]

    events = undo(project, log, real="2026-03-23T10:10")

    survey, needs_list = project.stages["needs-survey"], project.stages["needs-list"]
    assert survey.state is StageState.SUBMITTED
    assert survey.approved_at is None
    assert survey.approvals == []
    assert survey.next_approval_level() is ApprovalLevel.STREET_OFFICE
    assert survey.submitted_at == at("2026-03-20T10:00")  # the clock as before the decision
    assert needs_list.state is StageState.PENDING
    assert needs_list.activated_at is None
    assert needs_list.deadline is None
    undone = events[0]
    assert undone.kind is EventKind.STAGE_DECISION_UNDONE
    assert undone.data["undone_event"] == 2
    assert undone.data["undone_events"] == [e.id for e in log.events[1:]]  # the approval and what it caused
    assert undone.data["stages_not_started"] == ["needs-list"]
    assert undone.data["deadlines_removed"] == {"needs-list": due.due.isoformat()}
    assert events == [undone]  # no deadline computed again: needs-list has no start to count from
    assert undone.data["reason"] == "点错了"
    # the stage is decided again as if nothing had happened
    log.add(events)
    approve(project, log, when="2026-03-23T10:20")
    assert project.stages["needs-list"].state is StageState.IN_PROGRESS


def test_undoing_a_return_restores_the_submission_and_its_round() -> None:
    log = Log()
    project = submitted(log)
    log.add(
        project.return_stage("needs-survey", PEOPLE["zhaoy"], reason="照片缺失", now=at("2026-03-23T10:00"))
    )
    stage = project.stages["needs-survey"]
    assert (stage.state, stage.round) == (StageState.IN_PROGRESS, 2)

    events = undo(project, log, real="2026-03-23T10:05")

    assert (stage.state, stage.round) == (StageState.SUBMITTED, 1)
    assert stage.submitted_at == at("2026-03-20T10:00")
    assert stage.approvals == []
    assert events[0].data["decision"] == "returned"
    assert events[0].before == "in_progress" and events[0].after == "submitted"


def test_undoing_the_first_of_two_levels_waits_for_that_level_again() -> None:
    log = Log()
    project = new_project()
    stage = project.stages["completion-acceptance"]
    stage.state, stage.submitted_at = StageState.SUBMITTED, at("2026-03-20T10:00")
    log.add([Event(EventKind.STAGE_SUBMITTED, at("2026-03-20T10:00"), "wangrb", stage=stage.key)])
    log.add(
        project.approve_stage(
            stage.key, PEOPLE["zhaoy"], comment=None, now=at("2026-03-23T10:00"), calendar=CALENDAR
        )
    )
    assert stage.next_approval_level() is ApprovalLevel.DISTRICT

    events = undo(project, log, real="2026-03-23T10:30", key=stage.key)

    assert stage.state is StageState.SUBMITTED
    assert stage.next_approval_level() is ApprovalLevel.STREET_OFFICE
    assert events[0].data["next_level"] == "district"
    assert events[0].data["final"] is False


@pytest.mark.parametrize(
    ("real", "allowed"),
    [("2026-03-23T10:29:59", True), ("2026-03-23T10:30:00", True), ("2026-03-23T10:30:01", False)],
)
def test_the_window_is_counted_on_the_recorded_clock_and_its_edge_still_counts(
    real: str, allowed: bool
) -> None:
    log = Log()
    project = submitted(log)
    approve(project, log)
    assert (
        may_undo(
            project,
            "needs-survey",
            PEOPLE["zhaoy"],
            log.history("needs-survey"),
            real_now=at(real),
            window=WINDOW,
        )
        is allowed
    )
    if not allowed:
        with pytest.raises(Conflict, match="within 30 minutes"):
            undo(project, log, real=real)


def test_a_backdated_decision_is_timed_from_when_it_was_recorded() -> None:
    log = Log()
    project = submitted(log)
    # given with --now two days earlier, recorded on 25 March at 09:00
    log.add(
        project.approve_stage(
            "needs-survey", PEOPLE["zhaoy"], comment=None, now=at("2026-03-23T10:00"), calendar=CALENDAR
        ),
        recorded=at("2026-03-25T09:00"),
    )
    history = log.history("needs-survey")
    ok = dict(real_now=at("2026-03-25T09:20"), window=WINDOW)
    assert may_undo(project, "needs-survey", PEOPLE["zhaoy"], history, **ok)
    late = dict(real_now=at("2026-03-25T09:31"), window=WINDOW)
    assert not may_undo(project, "needs-survey", PEOPLE["zhaoy"], history, **late)


def test_only_the_person_who_gave_it() -> None:
    log = Log()
    project = submitted(log)
    approve(project, log)
    for other in ("sunh", "wangrb", "zhangl"):
        with pytest.raises(PermissionDenied, match="only the person who gave it"):
            undo(project, log, other, real="2026-03-23T10:05")
    assert project.stages["needs-survey"].state is StageState.APPROVED


def test_a_reason_is_required() -> None:
    log = Log()
    project = submitted(log)
    approve(project, log)
    for reason in ("", "   "):
        with pytest.raises(InvalidInput, match="needs a reason"):
            undo(project, log, real="2026-03-23T10:05", reason=reason)
    with pytest.raises(InvalidInput, match="control characters"):
        undo(project, log, real="2026-03-23T10:05", reason="a\x00b")


def test_nothing_to_undo_and_not_twice() -> None:
    log = Log()
    project = submitted(log)
    with pytest.raises(Conflict, match="no approval or return to undo"):
        undo(project, log, real="2026-03-23T10:05")
    approve(project, log)
    log.add(undo(project, log, real="2026-03-23T10:05"))
    with pytest.raises(Conflict, match="already undone"):
        undo(project, log, real="2026-03-23T10:06")


def test_refused_once_something_happened_since_on_the_stage_or_what_depends_on_it() -> None:
    log = Log()
    project = submitted(log)
    approve(project, log)
    # the planner already works on the next stage: its clock paused by the coordinator
    log.add(
        project.pause_clock("needs-list", PEOPLE["zhangl"], reason="冬季停工", now=at("2026-03-23T10:02"))
    )
    with pytest.raises(Conflict, match="no longer the last thing"):
        undo(project, log, real="2026-03-23T10:05")


def test_a_return_followed_by_a_resubmission_is_not_undone() -> None:
    log = Log()
    project = submitted(log)
    log.add(
        project.return_stage("needs-survey", PEOPLE["zhaoy"], reason="照片缺失", now=at("2026-03-23T10:00"))
    )
    finish_survey(project, "2026-03-23T10:03")
    log.add([Event(EventKind.STAGE_SUBMITTED, at("2026-03-23T10:03"), "wangrb", stage="needs-survey")])
    with pytest.raises(Conflict, match="no longer the last thing"):
        undo(project, log, real="2026-03-23T10:05")


def test_the_stages_waiting_for_a_stage_are_watched_through_the_chain() -> None:
    project = new_project()
    assert {"needs-list", "completion-acceptance"} <= dependents(project, "needs-survey")
    assert "needs-survey" not in dependents(project, "needs-list")


def test_not_on_a_cancelled_or_completed_project() -> None:
    log = Log()
    project = submitted(log)
    approve(project, log)
    project.status = ProjectStatus.COMPLETED
    with pytest.raises(Conflict, match="completed"):
        undo(project, log, real="2026-03-23T10:05")
    project.status, project.status_since, project.status_reason = (
        ProjectStatus.CANCELLED,
        at("2026-03-23T10:01"),
        "资金取消",
    )
    with pytest.raises(Conflict, match="cancelled"):
        undo(project, log, real="2026-03-23T10:05")


def test_an_undo_is_not_dated_before_the_decision() -> None:
    log = Log()
    project = submitted(log)
    approve(project, log)
    with pytest.raises(RuleViolation, match="given later"):
        undo_decision(
            project,
            "needs-survey",
            PEOPLE["zhaoy"],
            log.history("needs-survey"),
            reason="x",
            now=at("2026-03-22T10:00"),
            real_now=at("2026-03-23T10:05"),
            window=WINDOW,
            calendar=CALENDAR,
        )


def test_replays_learn_the_undone_ids_from_the_undo_events() -> None:
    assert undone_event_ids([{"undone_events": [4, 5]}, {"undone_events": ["9"]}, {}]) == {4, 5, 9}


def test_undoing_the_final_district_approval_waits_for_the_district_again() -> None:
    log = Log()
    project = new_project()
    stage = project.stages["completion-acceptance"]
    for key in project.template.dependencies(stage.key):
        project.stages[key].state = StageState.APPROVED
    stage.state, stage.submitted_at = StageState.SUBMITTED, at("2026-03-20T10:00")
    log.add([Event(EventKind.STAGE_SUBMITTED, at("2026-03-20T10:00"), "wangrb", stage=stage.key)])
    for who, when in (("zhaoy", "2026-03-23T10:00"), ("zhoux", "2026-03-24T10:00")):
        log.add(project.approve_stage(stage.key, PEOPLE[who], comment=None, now=at(when), calendar=CALENDAR))
    after = project.stages["post-evaluation"]
    assert stage.state is StageState.APPROVED and after.state is StageState.IN_PROGRESS
    # the street office cannot undo the district's decision, nor its own earlier one
    # (the district's came since)
    with pytest.raises(Conflict, match="no longer the last thing"):
        undo(project, log, "zhaoy", real="2026-03-24T10:05", key=stage.key)
    with pytest.raises(PermissionDenied):
        undo(project, log, "sunh", real="2026-03-24T10:05", key=stage.key)

    events = undo(project, log, "zhoux", real="2026-03-24T10:05", key=stage.key)

    assert stage.state is StageState.SUBMITTED
    assert stage.next_approval_level() is ApprovalLevel.DISTRICT  # the street office's approval stands
    assert [a.level for a in stage.approvals] == [ApprovalLevel.STREET_OFFICE]
    assert (after.state, after.deadline) == (StageState.PENDING, None)
    assert events[0].data["final"] is True


def test_whoever_the_decision_told_hears_it_was_withdrawn() -> None:
    from accompany.models.reminders import NotificationKind, ProjectFacts, notifications_for_events

    facts = ProjectFacts(
        1, "口袋公园", "chaoyang", "taiyanggong", "wangrb", "zhangl", {"completion-acceptance": "竣工验收"}
    )

    def told(**data: object) -> list[str]:
        event = Event(
            EventKind.STAGE_DECISION_UNDONE,
            at("2026-03-24T10:05"),
            "zhaoy",
            stage="completion-acceptance",
            data={"undone_event": 7, **data},
        )
        intents = notifications_for_events(facts, [event])
        assert {i.kind for i in intents} == {NotificationKind.DECISION_UNDONE}
        return [i.audience for i in intents]

    assert told(decision="returned", final=False) == ["person:wangrb"]
    assert told(decision="approved", final=True) == ["person:wangrb"]
    assert told(decision="approved", final=False, next_level="district") == ["district:chaoyang"]


def test_undoing_an_approval_that_withdrew_an_extension_request_keeps_it_withdrawn() -> None:
    # a request left waiting on the submitted stage (made before submissions withdrew
    # them): the final approval withdraws it in its own transaction
    from accompany.models.project import ExtensionRequest

    log = Log()
    project = submitted(log)
    survey = project.stages["needs-survey"]
    survey.extensions.append(ExtensionRequest(at("2026-03-19T09:00"), "wangrb", 5, "住户外出"))
    events = approve(project, log)
    assert EventKind.EXTENSION_WITHDRAWN in [e.kind for e in events]
    withdrawal = next(e for e in log.events if e.kind == EventKind.EXTENSION_WITHDRAWN.value)
    history = log.history("needs-survey", "zhaoy")
    # the withdrawal is part of the approval, not something that happened since
    assert may_undo(
        project, "needs-survey", PEOPLE["zhaoy"], history, real_now=at("2026-03-23T10:05"), window=WINDOW
    )
    (event, *_) = undo(project, log, real="2026-03-23T10:05")
    assert survey.state is StageState.SUBMITTED
    # the request stays withdrawn (a stage waiting for approval runs no clock); the
    # log replay does not bring it back either
    assert survey.open_extension() is None and survey.extensions[0].status == "lapsed"
    assert withdrawal.id not in event.data["undone_events"]
    assert withdrawal.id not in undone_event_ids([event.data])
