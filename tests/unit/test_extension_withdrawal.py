"""An extension request waits only while its stage runs a clock it could extend: a
submission (or an approval, or the project's cancellation) withdraws it, and a
decision on a request no longer waiting, or on a closed stage, is refused."""

from __future__ import annotations

import pytest

from accompany.models.errors import Conflict
from accompany.models.events import EventKind
from accompany.models.project import ExtensionRequest, Project
from accompany.models.states import StageState

from .world import CALENDAR, PEOPLE, SURVEY_OK, at, file, finish_survey, new_project


def _requested() -> Project:
    project = new_project()
    project.request_extension(
        "needs-survey", PEOPLE["wangrb"], working_days=5, reason="住户外出", now=at("2026-03-10T09:00")
    )
    return project


def _grant(project: Project, when: str = "2026-03-23T09:00") -> None:
    project.decide_extension(
        "needs-survey",
        PEOPLE["zhaoy"],
        grant=True,
        working_days=None,
        comment=None,
        now=at(when),
        calendar=CALENDAR,
    )


def _approve(project: Project, when: str = "2026-03-21T10:00") -> list:
    return project.approve_stage(
        "needs-survey", PEOPLE["zhaoy"], comment=None, now=at(when), calendar=CALENDAR
    )


def test_marking_the_stage_done_withdraws_the_waiting_request() -> None:
    project = _requested()
    events = project.complete_stage(
        "needs-survey",
        PEOPLE["wangrb"],
        evidence=SURVEY_OK,
        attachments=[file("problem_map")],
        note=None,
        now=at("2026-03-20T10:00"),
        calendar=CALENDAR,
    )
    survey = project.stages["needs-survey"]
    request = survey.extensions[0]
    assert (request.status, request.decided_by, request.decided_at) == (
        "lapsed",
        "wangrb",
        at("2026-03-20T10:00"),
    )
    assert survey.open_extension() is None
    # one event of the submission says so
    assert [e.kind for e in events][:2] == [EventKind.STAGE_SUBMITTED, EventKind.EXTENSION_WITHDRAWN]
    withdrawn = events[1]
    assert (withdrawn.stage, withdrawn.actor, withdrawn.data["why"]) == (
        "needs-survey",
        "wangrb",
        "stage_done",
    )
    assert (withdrawn.data["working_days"], withdrawn.data["reason"]) == (5, "住户外出")


@pytest.mark.parametrize("approved", [False, True])
def test_a_decision_on_a_withdrawn_request_is_a_conflict(approved: bool) -> None:
    project = _requested()
    finish_survey(project)
    if approved:
        _approve(project)
    survey = project.stages["needs-survey"]
    due = survey.deadline.due
    with pytest.raises(Conflict, match="no longer waits for a decision"):
        _grant(project)
    assert (survey.extensions[0].status, survey.deadline.due) == ("lapsed", due)
    assert survey.extensions[0].granted_days is None


def test_a_request_left_waiting_on_a_closed_stage_is_not_decided_and_the_approval_withdraws_it() -> None:
    # a request left waiting on a submitted stage by a release before submissions
    # withdrew them: the decision is refused, the approval closes it
    project = new_project()
    finish_survey(project)
    survey = project.stages["needs-survey"]
    survey.extensions.append(ExtensionRequest(at("2026-03-19T09:00"), "wangrb", 5, "住户外出"))
    with pytest.raises(Conflict, match=r"is already done .*: its deadline no longer runs"):
        _grant(project)
    assert survey.open_extension() is not None
    events = _approve(project)
    assert [e.kind for e in events][:2] == [EventKind.STAGE_APPROVED, EventKind.EXTENSION_WITHDRAWN]
    assert events[1].data["why"] == "stage_approved"
    assert survey.state is StageState.APPROVED and survey.open_extension() is None
    with pytest.raises(Conflict, match="no longer waits for a decision"):
        _grant(project)


def test_cancelling_the_project_withdraws_its_waiting_requests() -> None:
    project = _requested()
    events = project.cancel(PEOPLE["zhangl"], reason="资金取消", now=at("2026-03-12T09:00"))
    assert [e.kind for e in events] == [EventKind.PROJECT_CANCELLED, EventKind.EXTENSION_WITHDRAWN]
    assert events[1].data["why"] == "project_cancelled"
    assert project.stages["needs-survey"].extensions[0].status == "lapsed"


def test_a_suspension_keeps_the_request_waiting() -> None:
    project = _requested()
    project.suspend(PEOPLE["zhangl"], reason="资金未到位", now=at("2026-03-12T09:00"))
    assert project.stages["needs-survey"].open_extension() is not None
    project.resume(PEOPLE["zhangl"], now=at("2026-03-16T09:00"), calendar=CALENDAR)
    _grant(project, "2026-03-17T09:00")
    assert project.stages["needs-survey"].extensions[0].status == "granted"


def test_no_extension_is_requested_on_a_closed_stage() -> None:
    project = new_project()
    finish_survey(project)
    with pytest.raises(Conflict, match="is already done"):
        project.request_extension(
            "needs-survey", PEOPLE["wangrb"], working_days=5, reason="x", now=at("2026-03-20T11:00")
        )
    _approve(project)
    with pytest.raises(Conflict, match="is already approved"):
        project.request_extension(
            "needs-survey", PEOPLE["wangrb"], working_days=5, reason="x", now=at("2026-03-21T11:00")
        )
