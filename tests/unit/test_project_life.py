"""A project's life beyond its stages: suspend, resume, cancel, hand over, edit —
the domain rules, with no database."""

from __future__ import annotations

import pytest

from accompany.models.errors import Conflict, InvalidInput, PermissionDenied, RuleViolation
from accompany.models.events import EventKind
from accompany.models.states import ProjectStatus, StageState

from .world import CALENDAR, PEOPLE, SURVEY_OK, at, file, finish_survey, new_project


def suspended_project():  # type: ignore[no-untyped-def]
    project = new_project()
    project.suspend(PEOPLE["zhangl"], reason="资金未到位", now=at("2026-03-10T09:00"))
    return project


def test_suspend_pauses_open_clocks_and_records_the_reason() -> None:
    project = new_project()
    events = project.suspend(PEOPLE["zhangl"], reason=" 资金未到位 ", now=at("2026-03-10T09:00"))
    assert [e.kind for e in events] == [EventKind.PROJECT_SUSPENDED, EventKind.CLOCK_PAUSED]
    assert events[0].before == "active" and events[0].after == "suspended"
    assert events[0].data["reason"] == "资金未到位"
    assert project.status is ProjectStatus.SUSPENDED
    assert project.status_reason == "资金未到位"
    pause = project.stages["needs-survey"].open_pause()
    assert pause is not None and pause.suspension


def test_resume_moves_the_deadline_like_a_clock_pause_of_the_same_days() -> None:
    project = suspended_project()
    due_before = project.stages["needs-survey"].deadline.due
    events = project.resume(PEOPLE["zhangl"], now=at("2026-03-17T09:00"), calendar=CALENDAR)
    kinds = [e.kind for e in events]
    assert kinds[:3] == [EventKind.PROJECT_RESUMED, EventKind.CLOCK_RESUMED, EventKind.DEADLINE_CHANGED]
    assert events[0].data["suspended_working_days"] == 5
    assert project.status is ProjectStatus.ACTIVE and project.status_reason is None

    twin = new_project()
    twin.pause_clock("needs-survey", PEOPLE["zhangl"], reason="资金未到位", now=at("2026-03-10T09:00"))
    twin.resume_clock("needs-survey", PEOPLE["zhangl"], now=at("2026-03-17T09:00"), calendar=CALENDAR)
    due_after = project.stages["needs-survey"].deadline.due
    assert due_after == twin.stages["needs-survey"].deadline.due
    assert due_after > due_before


def test_resume_keeps_a_stage_pause_of_its_own() -> None:
    project = new_project()
    project.pause_clock("needs-survey", PEOPLE["zhangl"], reason="等居民", now=at("2026-03-05T09:00"))
    events = project.suspend(PEOPLE["zhangl"], reason="资金未到位", now=at("2026-03-10T09:00"))
    assert [e.kind for e in events] == [EventKind.PROJECT_SUSPENDED]  # already paused
    project.resume(PEOPLE["zhangl"], now=at("2026-03-17T09:00"), calendar=CALENDAR)
    pause = project.stages["needs-survey"].open_pause()
    assert pause is not None and pause.reason == "等居民"


def test_a_suspended_projects_stages_wait() -> None:
    project = suspended_project()
    with pytest.raises(RuleViolation, match="is suspended since 2026-03-10 09:00 \\(资金未到位\\)"):
        finish_survey(project, "2026-03-11T10:00")


def test_only_a_coordinator_of_the_street_suspends() -> None:
    project = new_project()
    with pytest.raises(PermissionDenied, match="only a coordinator can suspend a project"):
        project.suspend(PEOPLE["wangrb"], reason="x", now=at("2026-03-10T09:00"))
    with pytest.raises(PermissionDenied, match="does not coordinate"):
        project.suspend(PEOPLE["maf"], reason="x", now=at("2026-03-10T09:00"))
    # a coordinator of the whole district may
    project.suspend(PEOPLE["liuq"], reason="x", now=at("2026-03-10T09:00"))


@pytest.mark.parametrize("reason", ["", "   ", "a\x00b", "a\x1bb", "长" * 5001])
def test_a_suspension_needs_a_clean_reason(reason: str) -> None:
    project = new_project()
    with pytest.raises(InvalidInput):
        project.suspend(PEOPLE["zhangl"], reason=reason, now=at("2026-03-10T09:00"))
    assert project.status is ProjectStatus.ACTIVE


def test_suspend_twice_is_a_conflict_and_resume_needs_a_suspension() -> None:
    project = suspended_project()
    with pytest.raises(Conflict, match="already suspended"):
        project.suspend(PEOPLE["zhangl"], reason="again", now=at("2026-03-11T09:00"))
    project.resume(PEOPLE["zhangl"], now=at("2026-03-12T09:00"), calendar=CALENDAR)
    with pytest.raises(RuleViolation, match="is not suspended"):
        project.resume(PEOPLE["zhangl"], now=at("2026-03-13T09:00"), calendar=CALENDAR)


def test_resume_before_the_suspension_is_refused() -> None:
    project = suspended_project()
    with pytest.raises(InvalidInput, match="suspended later"):
        project.resume(PEOPLE["zhangl"], now=at("2026-03-09T09:00"), calendar=CALENDAR)


def test_a_coordinator_cancels_a_project_with_no_approved_stage() -> None:
    project = new_project()
    events = project.cancel(PEOPLE["zhangl"], reason="居民反对", now=at("2026-03-10T09:00"))
    assert events[0].kind is EventKind.PROJECT_CANCELLED
    assert events[0].data["reason"] == "居民反对"
    assert project.status is ProjectStatus.CANCELLED


def approved_survey():  # type: ignore[no-untyped-def]
    project = new_project()
    finish_survey(project)
    project.approve_stage(
        "needs-survey", PEOPLE["zhaoy"], comment=None, now=at("2026-03-23T10:00"), calendar=CALENDAR
    )
    return project


def test_after_an_approval_only_the_street_office_cancels() -> None:
    project = approved_survey()
    with pytest.raises(PermissionDenied, match="only the street office of taiyanggong can cancel it"):
        project.cancel(PEOPLE["zhangl"], reason="居民反对", now=at("2026-03-24T09:00"))
    with pytest.raises(PermissionDenied, match="not the street office"):
        project.cancel(PEOPLE["lij"], reason="居民反对", now=at("2026-03-24T09:00"))
    with pytest.raises(PermissionDenied, match="only a coordinator or the street office"):
        project.cancel(PEOPLE["wangrb"], reason="居民反对", now=at("2026-03-24T09:00"))
    project.cancel(PEOPLE["zhaoy"], reason="居民反对", now=at("2026-03-24T09:00"))
    assert project.status is ProjectStatus.CANCELLED


def test_a_final_project_is_refused_by_its_state_not_sent_to_the_street_office() -> None:
    """张磊 cancelling a completed project read that only the street office could
    cancel it, after a list of every approved stage — and the street office was then
    told it is completed. A coordinator of the street is told its state at once."""
    project = approved_survey()
    project.cancel(PEOPLE["zhaoy"], reason="居民反对", now=at("2026-03-24T09:00"))
    with pytest.raises(Conflict, match="was cancelled on 2026-03-24 09:00"):
        project.cancel(PEOPLE["zhangl"], reason="再次取消", now=at("2026-03-25T09:00"))
    completed = approved_survey()
    completed.status = ProjectStatus.COMPLETED  # every stage approved (shortened here)
    for person in ("zhangl", "zhaoy"):
        with pytest.raises(Conflict, match="is already completed"):
            completed.cancel(PEOPLE[person], reason="居民反对", now=at("2026-03-24T09:00"))
    with pytest.raises(PermissionDenied, match="only a coordinator or the street office"):
        completed.cancel(PEOPLE["wangrb"], reason="居民反对", now=at("2026-03-24T09:00"))


def test_a_cancelled_project_is_final() -> None:
    project = suspended_project()
    project.cancel(PEOPLE["zhangl"], reason="居民反对", now=at("2026-03-11T09:00"))
    for act in (
        lambda: project.resume(PEOPLE["zhangl"], now=at("2026-03-12T09:00"), calendar=CALENDAR),
        lambda: project.suspend(PEOPLE["zhangl"], reason="x", now=at("2026-03-12T09:00")),
        lambda: project.cancel(PEOPLE["zhaoy"], reason="x", now=at("2026-03-12T09:00")),
        lambda: project.hand_over(PEOPLE["zhangl"], PEOPLE["chenm"], note="x", now=at("2026-03-12T09:00")),
        lambda: project.edit(PEOPLE["zhangl"], name="新名", now=at("2026-03-12T09:00")),
        lambda: project.pause_clock("needs-survey", PEOPLE["zhangl"], reason="x", now=at("2026-03-12T09:00")),
        lambda: finish_survey(project, "2026-03-12T10:00"),
    ):
        with pytest.raises(Conflict, match="was cancelled on 2026-03-11 09:00 \\(居民反对\\)"):
            act()


def test_handover_moves_the_project_to_another_planner_of_the_street() -> None:
    project = new_project()
    events = project.hand_over(
        PEOPLE["zhangl"],
        PEOPLE["chenm"],
        note="王老师调任",
        now=at("2026-03-10T09:00"),
        previous=PEOPLE["wangrb"],
    )
    event = events[0]
    assert event.kind is EventKind.PROJECT_HANDED_OVER
    assert (event.before, event.after) == ("wangrb", "chenm")
    assert event.data["from_team"] == "tsinghua-tyg" and event.data["team"] == "bjut-cy"
    assert "needs-survey" in event.data["open_stages"]
    assert project.planner_id == "chenm"
    # the open stage went with it: the new planner marks it done, the old one no longer can
    with pytest.raises(PermissionDenied, match="only the project's planner"):
        finish_survey(project)
    project.complete_stage(
        "needs-survey",
        PEOPLE["chenm"],
        evidence=SURVEY_OK,
        attachments=[file("problem_map")],
        note=None,
        now=at("2026-03-20T10:00"),
        calendar=CALENDAR,
    )
    assert project.stages["needs-survey"].state is StageState.SUBMITTED


@pytest.mark.parametrize(
    ("planner", "error", "problem"),
    [
        ("hel", InvalidInput, "does not serve"),
        ("zhaoy", InvalidInput, "not a planner"),
        ("wangrb", RuleViolation, "already is the planner"),
    ],
)
def test_handover_needs_another_planner_of_the_street(planner: str, error: type, problem: str) -> None:
    project = new_project()
    with pytest.raises(error, match=problem):
        project.hand_over(PEOPLE["zhangl"], PEOPLE[planner], note="x", now=at("2026-03-10T09:00"))
    assert project.planner_id == "wangrb"


def test_handover_by_a_planner_is_refused_and_needs_a_note() -> None:
    project = new_project()
    with pytest.raises(PermissionDenied, match="only a coordinator can hand a project over"):
        project.hand_over(PEOPLE["wangrb"], PEOPLE["chenm"], note="x", now=at("2026-03-10T09:00"))
    with pytest.raises(InvalidInput, match="a handover needs a note") as blank:
        project.hand_over(PEOPLE["zhangl"], PEOPLE["chenm"], note=" ", now=at("2026-03-10T09:00"))
    # the note, named as the CLI (--note), the API and the form name it: not a "reason"
    with pytest.raises(InvalidInput, match="handover note contains control characters") as bell:
        project.hand_over(PEOPLE["zhangl"], PEOPLE["chenm"], note="交接\x07", now=at("2026-03-10T09:00"))
    assert blank.value.field == bell.value.field == "note"


def test_edit_records_before_and_after() -> None:
    project = new_project()
    events = project.edit(
        PEOPLE["zhangl"], name="口袋公园（二期）", community=None, now=at("2026-03-10T09:00")
    )
    assert events[0].kind is EventKind.PROJECT_EDITED
    assert events[0].data["changes"] == {"name": ["口袋公园", "口袋公园（二期）"]}
    assert project.name == "口袋公园（二期）"
    with pytest.raises(InvalidInput, match="nothing to change"):
        project.edit(PEOPLE["zhangl"], name="口袋公园（二期）", now=at("2026-03-10T09:00"))
    with pytest.raises(InvalidInput, match="control characters"):
        project.edit(PEOPLE["zhangl"], community="a\x07", now=at("2026-03-10T09:00"))
    with pytest.raises(PermissionDenied):
        project.edit(PEOPLE["wangrb"], name="x", now=at("2026-03-10T09:00"))
