"""The project aggregate and its stage state machine, with no database."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from accompany.models.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleViolation
from accompany.models.events import Event, EventKind
from accompany.models.project import Project
from accompany.models.states import ProjectStatus, StageState

from .world import CALENDAR, PEOPLE, SURVEY_OK, at, file, finish_survey, new_project, template


def test_start_opens_first_stage_with_its_deadline() -> None:
    project = new_project()
    survey = project.stages["needs-survey"]
    assert survey.state is StageState.IN_PROGRESS
    # 30 working days from 2026-03-02; Qingming (Apr 4–6) is inside the span
    assert survey.deadline is not None
    assert survey.deadline.due == dt.date(2026, 4, 14)
    assert survey.deadline.basis["template"] == "accompany-service@1"
    assert "2026" in survey.deadline.basis["calendar"]
    assert project.stages["needs-list"].state is StageState.PENDING
    assert project.stages["needs-list"].deadline is None
    assert project.stages["construction-accompany"].deadline.due == dt.date(2026, 10, 30)


def test_start_events_are_stamped_with_the_command_time() -> None:
    _, events = Project.start(
        template=template(),
        params={},
        name="x",
        district="chaoyang",
        street="taiyanggong",
        community="c",
        planner=PEOPLE["wangrb"],
        coordinator=PEOPLE["zhangl"],
        start_date=dt.date(2026, 3, 2),
        fixed_dues={"construction-accompany": dt.date(2026, 10, 30)},
        now=at("2026-03-05T10:00"),
        calendar=CALENDAR,
    )
    assert {e.at for e in events} == {at("2026-03-05T10:00")}
    activated = next(e for e in events if e.kind is EventKind.STAGE_ACTIVATED)
    assert activated.data["started_on"] == "2026-03-02"


@pytest.mark.parametrize(
    ("coordinator", "problem"),
    [
        ("liuq", None),
        ("zhangl", None),
        ("maf", "马芳 does not coordinate taiyanggong"),
        ("wangrb", "王若冰 is a responsible planner: only a coordinator can start a project"),
    ],
)
def test_only_coordinators_of_the_street_or_district_start(coordinator: str, problem: str | None) -> None:
    def go() -> tuple[Project, list[Event]]:
        return Project.start(
            template=template(),
            params={},
            name="x",
            district="chaoyang",
            street="taiyanggong",
            community="c",
            planner=PEOPLE["wangrb"],
            coordinator=PEOPLE[coordinator],
            start_date=dt.date(2026, 3, 2),
            fixed_dues={"construction-accompany": dt.date(2026, 10, 30)},
            now=at("2026-03-02T09:00"),
            calendar=CALENDAR,
        )

    if problem is None:
        project, events = go()
        assert (project.coordinator_id, project.status) == (coordinator, ProjectStatus.ACTIVE)
        assert (events[0].kind, events[0].actor) == (EventKind.PROJECT_STARTED, coordinator)
        assert project.stages["needs-survey"].state is StageState.IN_PROGRESS
    else:
        with pytest.raises(PermissionDenied, match=re.escape(problem)):
            go()


def test_start_refuses_a_missing_set_at_start_deadline() -> None:
    with pytest.raises(InvalidInput, match="Accompanying construction needs its deadline set at start"):
        Project.start(
            template=template(),
            params={},
            name="x",
            district="chaoyang",
            street="taiyanggong",
            community="c",
            planner=PEOPLE["wangrb"],
            coordinator=PEOPLE["zhangl"],
            start_date=dt.date(2026, 3, 2),
            fixed_dues={},
            now=at("2026-03-02T09:00"),
            calendar=CALENDAR,
        )


def test_planner_must_serve_the_street() -> None:
    with pytest.raises(InvalidInput, match="does not serve"):
        Project.start(
            template=template(),
            params={},
            name="x",
            district="dongcheng",
            street="dongsi",
            community="c",
            planner=PEOPLE["wangrb"],
            coordinator=PEOPLE["maf"],
            start_date=dt.date(2026, 3, 2),
            fixed_dues={"construction-accompany": dt.date(2026, 10, 30)},
            now=at("2026-03-02T09:00"),
            calendar=CALENDAR,
        )


def test_missing_and_insufficient_evidence_are_named() -> None:
    project = new_project()
    with pytest.raises(RuleViolation) as refused:
        project.complete_stage(
            "needs-survey",
            PEOPLE["wangrb"],
            evidence={"households_interviewed": 25},
            attachments=[],
            note=None,
            now=at("2026-03-20T10:00"),
            calendar=CALENDAR,
        )
    message = str(refused.value)
    assert "households_interviewed" in message and "≥ 30" in message and "got 25" in message
    assert "missing observation_days" in message
    assert "missing problem_map" in message
    assert project.stages["needs-survey"].state is StageState.IN_PROGRESS
    assert project.stages["needs-survey"].evidence == {}


def test_a_bad_note_is_told_with_the_missing_evidence_and_alone_when_nothing_else_is_wrong() -> None:
    """One answer for a note with a control character and the evidence's shortfalls
    (before, the note was refused first and the evidence on the next try); the rule on
    who may act still comes first."""
    project = new_project()
    with pytest.raises(RuleViolation) as refused:
        project.complete_stage(
            "needs-survey",
            PEOPLE["wangrb"],
            evidence={"households_interviewed": 36},
            attachments=[],
            note="见\x07附件",
            now=at("2026-03-20T10:00"),
            calendar=CALENDAR,
        )
    fields = [problem.field for problem in refused.value.problems]
    assert "note" in fields and "evidence.observation_days" in fields and "attach.problem_map" in fields
    with pytest.raises(InvalidInput, match="control characters"):
        project.complete_stage(
            "needs-survey",
            PEOPLE["wangrb"],
            evidence=SURVEY_OK,
            attachments=[file("problem_map")],
            note="见\x07附件",
            now=at("2026-03-20T10:00"),
            calendar=CALENDAR,
        )
    with pytest.raises(PermissionDenied):
        project.complete_stage(
            "needs-survey",
            PEOPLE["chenm"],
            evidence={},
            attachments=[],
            note="长" * 6000,
            now=at("2026-03-20T10:00"),
            calendar=CALENDAR,
        )
    assert project.stages["needs-survey"].state is StageState.IN_PROGRESS


def test_parameter_override_changes_the_rule() -> None:
    project = new_project(households_interviewed_min=40)
    with pytest.raises(RuleViolation, match="≥ 40"):
        finish_survey(project)


def test_only_the_projects_planner_marks_done() -> None:
    project = new_project()
    with pytest.raises(PermissionDenied, match="only the project's planner"):
        project.complete_stage(
            "needs-survey",
            PEOPLE["chenm"],
            evidence=SURVEY_OK,
            attachments=[file("problem_map")],
            note=None,
            now=at("2026-03-20T10:00"),
            calendar=CALENDAR,
        )


def test_stage_cannot_start_before_its_dependencies_are_approved() -> None:
    project = new_project()
    with pytest.raises(
        RuleViolation, match="stage List of needs cannot start before Needs survey is approved"
    ):
        project.complete_stage(
            "needs-list",
            PEOPLE["wangrb"],
            evidence={"needs_items": 3},
            attachments=[],
            note=None,
            now=at("2026-03-20T10:00"),
            calendar=CALENDAR,
        )


def test_done_twice_is_a_conflict() -> None:
    project = new_project()
    finish_survey(project)
    with pytest.raises(Conflict, match="already done"):
        finish_survey(project, "2026-03-21T10:00")


def test_approve_starts_next_stage_and_sets_its_deadline() -> None:
    project = new_project()
    finish_survey(project)
    events = project.approve_stage(
        "needs-survey", PEOPLE["zhaoy"], comment="好", now=at("2026-03-23T10:00"), calendar=CALENDAR
    )
    kinds = [e.kind for e in events]
    assert kinds[:3] == [EventKind.STAGE_APPROVED, EventKind.STAGE_ACTIVATED, EventKind.DEADLINE_SET]
    needs_list = project.stages["needs-list"]
    assert needs_list.state is StageState.IN_PROGRESS
    # 10 working days after Monday 2026-03-23
    assert needs_list.deadline.due == dt.date(2026, 4, 7)


@pytest.mark.parametrize(
    ("approver", "problem"),
    [
        ("lij", "李静 is not the street office of taiyanggong"),
        ("wangrb", "needs the street office"),
        ("zhoux", "needs the street office"),
    ],
)
def test_only_the_street_office_of_the_street_approves(approver: str, problem: str) -> None:
    project = new_project()
    finish_survey(project)
    with pytest.raises(PermissionDenied, match=problem):
        project.approve_stage(
            "needs-survey", PEOPLE[approver], comment=None, now=at("2026-03-23T10:00"), calendar=CALENDAR
        )


def test_approving_a_stage_not_done_is_refused() -> None:
    project = new_project()
    with pytest.raises(RuleViolation, match="must be marked done before it can be decided"):
        project.approve_stage(
            "needs-survey", PEOPLE["zhaoy"], comment=None, now=at("2026-03-23T10:00"), calendar=CALENDAR
        )


def test_return_keeps_reason_and_evidence_and_voids_the_round() -> None:
    project = new_project()
    finish_survey(project)
    with pytest.raises(InvalidInput, match="needs a reason"):
        project.return_stage("needs-survey", PEOPLE["zhaoy"], reason="  ", now=at("2026-03-23T10:00"))
    events = project.return_stage(
        "needs-survey", PEOPLE["zhaoy"], reason="问题地图缺少停车点位", now=at("2026-03-23T10:00")
    )
    survey = project.stages["needs-survey"]
    assert survey.state is StageState.IN_PROGRESS
    assert events[0].data["reason"] == "问题地图缺少停车点位"
    assert survey.evidence == SURVEY_OK  # kept for the next submission
    assert survey.round == 2
    # resubmitting needs no re-entry of what was already recorded
    project.complete_stage(
        "needs-survey",
        PEOPLE["wangrb"],
        evidence={},
        attachments=[file("problem_map", "new.pdf")],
        note="补充了停车点位",
        now=at("2026-03-25T10:00"),
        calendar=CALENDAR,
    )
    assert survey.state is StageState.SUBMITTED


def _to_acceptance(project: Project) -> None:
    """Walk a project to completion-acceptance marked done."""
    finish_survey(project)
    steps = [
        ("needs-list", {"needs_items": 5}, []),
        ("design-proposal", {}, [file("proposal")]),
        (
            "plan-presentation",
            {"sessions_held": 1, "attendees": 40, "notice_days": 7, "objections": "无"},
            [],
        ),
        ("resident-consent", {"households_surveyed": 90, "households_consenting": 70}, []),
        ("construction-accompany", {"site_visits": 30}, []),
        ("completion-acceptance", {}, [file("acceptance_record")]),
    ]
    day = dt.date(2026, 3, 23)
    project.approve_stage(
        "needs-survey", PEOPLE["zhaoy"], comment=None, now=at(f"{day}T10:00"), calendar=CALENDAR
    )
    for index, (stage, evidence, files) in enumerate(steps):
        day += dt.timedelta(days=7)
        project.complete_stage(
            stage,
            PEOPLE["wangrb"],
            evidence=evidence,
            attachments=files,
            note=None,
            now=at(f"{day}T10:00"),
            calendar=CALENDAR,
        )
        if index < len(steps) - 1:
            project.approve_stage(
                stage, PEOPLE["zhaoy"], comment=None, now=at(f"{day}T16:00"), calendar=CALENDAR
            )


def test_two_level_approval_needs_street_office_then_district() -> None:
    project = new_project()
    _to_acceptance(project)
    stage = project.stages["completion-acceptance"]
    with pytest.raises(PermissionDenied, match="needs the street office"):
        project.approve_stage(
            "completion-acceptance",
            PEOPLE["zhoux"],
            comment=None,
            now=at("2026-06-01T10:00"),
            calendar=CALENDAR,
        )
    events = project.approve_stage(
        "completion-acceptance", PEOPLE["zhaoy"], comment=None, now=at("2026-06-01T10:00"), calendar=CALENDAR
    )
    assert events[0].data == {**events[0].data, "final": False, "next_level": "district"}
    assert stage.state is StageState.SUBMITTED
    assert stage.next_approval_level().value == "district"
    with pytest.raises(PermissionDenied, match="needs the district"):
        project.approve_stage(
            "completion-acceptance",
            PEOPLE["sunh"],
            comment=None,
            now=at("2026-06-01T11:00"),
            calendar=CALENDAR,
        )
    project.approve_stage(
        "completion-acceptance", PEOPLE["zhoux"], comment=None, now=at("2026-06-02T10:00"), calendar=CALENDAR
    )
    assert stage.state is StageState.APPROVED
    post = project.stages["post-evaluation"]
    # 90 calendar days after 2026-06-02 is 2026-08-31, a Monday
    assert post.deadline.due == dt.date(2026, 8, 31)
    project.complete_stage(
        "post-evaluation",
        PEOPLE["wangrb"],
        evidence={"respondents": 50, "satisfaction_pct": 88.0},
        attachments=[],
        note=None,
        now=at("2026-08-01T10:00"),
        calendar=CALENDAR,
    )
    events = project.approve_stage(
        "post-evaluation", PEOPLE["zhoux"], comment=None, now=at("2026-08-03T10:00"), calendar=CALENDAR
    )
    assert events[-1].kind is EventKind.PROJECT_COMPLETED
    assert project.status is ProjectStatus.COMPLETED


def test_a_stale_approval_names_when_it_was_returned_and_the_reasons_start() -> None:
    """A second tab's 通过 after a 退回 with a 5,000-character reason repeated the whole
    reason in the refusal (two screens of banner). It names the return's time and the
    reason's first 40 characters."""
    project = new_project()
    finish_survey(project)
    reason = "入户访谈记录不完整，请补充。" + "补" * 5000
    project.return_stage("needs-survey", PEOPLE["zhaoy"], reason=reason[:5000], now=at("2026-03-23T10:07"))
    with pytest.raises(Conflict) as refused:
        project.approve_stage(
            "needs-survey", PEOPLE["zhaoy"], comment="同意", now=at("2026-03-23T10:09"), calendar=CALENDAR
        )
    message = str(refused.value)
    assert "returned on 2026-03-23 10:07" in message
    assert reason[:40] + "…" in message and len(message) < 200, message


def test_return_at_district_level_voids_the_street_approval() -> None:
    project = new_project()
    _to_acceptance(project)
    project.approve_stage(
        "completion-acceptance", PEOPLE["zhaoy"], comment=None, now=at("2026-06-01T10:00"), calendar=CALENDAR
    )
    project.return_stage(
        "completion-acceptance", PEOPLE["zhoux"], reason="验收记录缺签字", now=at("2026-06-02T10:00")
    )
    project.complete_stage(
        "completion-acceptance",
        PEOPLE["wangrb"],
        evidence={},
        attachments=[],
        note=None,
        now=at("2026-06-03T10:00"),
        calendar=CALENDAR,
    )
    stage = project.stages["completion-acceptance"]
    assert stage.next_approval_level().value == "street-office"


def test_consent_ratio_check() -> None:
    project = new_project()
    _to_acceptance(project)  # 70/90 on the way
    consent = project.stages["resident-consent"]
    assert consent.state is StageState.APPROVED
    assert consent.evidence == {"households_surveyed": 90, "households_consenting": 70}
    fresh = new_project()
    finish_survey(fresh)
    fresh.approve_stage(
        "needs-survey", PEOPLE["zhaoy"], comment=None, now=at("2026-03-23T10:00"), calendar=CALENDAR
    )
    for stage, evidence, files in [
        ("needs-list", {"needs_items": 5}, []),
        ("design-proposal", {}, [file("proposal")]),
        (
            "plan-presentation",
            {"sessions_held": 1, "attendees": 40, "notice_days": 7, "objections": "无"},
            [],
        ),
    ]:
        fresh.complete_stage(
            stage,
            PEOPLE["wangrb"],
            evidence=evidence,
            attachments=files,
            note=None,
            now=at("2026-04-01T10:00"),
            calendar=CALENDAR,
        )
        fresh.approve_stage(
            stage, PEOPLE["zhaoy"], comment=None, now=at("2026-04-01T11:00"), calendar=CALENDAR
        )
    with pytest.raises(RuleViolation, match="59/90 must be ≥ 2/3"):
        fresh.complete_stage(
            "resident-consent",
            PEOPLE["wangrb"],
            evidence={"households_surveyed": 90, "households_consenting": 59},
            attachments=[],
            note=None,
            now=at("2026-04-10T10:00"),
            calendar=CALENDAR,
        )


def test_unknown_stage_names_the_template_stages() -> None:
    project = new_project()
    with pytest.raises(NotFound, match=r"unknown stage 'survey'.*Needs survey"):
        project.approve_stage(
            "survey", PEOPLE["zhaoy"], comment=None, now=at("2026-03-23T10:00"), calendar=CALENDAR
        )


def test_attachment_key_must_be_file_evidence() -> None:
    project = new_project()
    with pytest.raises(InvalidInput, match="has no file evidence households_interviewed"):
        project.complete_stage(
            "needs-survey",
            PEOPLE["wangrb"],
            evidence=SURVEY_OK,
            attachments=[file("households_interviewed")],
            note=None,
            now=at("2026-03-20T10:00"),
            calendar=CALENDAR,
        )


def test_inactive_person_cannot_act() -> None:
    project = new_project()
    gone = PEOPLE["wangrb"].model_copy(update={"active": False})
    with pytest.raises(PermissionDenied, match="no longer active"):
        project.complete_stage(
            "needs-survey",
            gone,
            evidence=SURVEY_OK,
            attachments=[file("problem_map")],
            note=None,
            now=at("2026-03-20T10:00"),
            calendar=CALENDAR,
        )


def _survey_done_at(when: str) -> Event:
    project = new_project()
    assert project.stages["needs-survey"].deadline.due == dt.date(2026, 4, 14)
    events = project.complete_stage(
        "needs-survey",
        PEOPLE["wangrb"],
        evidence=SURVEY_OK,
        attachments=[file("problem_map")],
        note=None,
        now=at(when),
        calendar=CALENDAR,
    )
    return next(e for e in events if e.kind is EventKind.STAGE_SUBMITTED)


@pytest.mark.parametrize(
    ("when", "on_time"),
    [
        ("2026-04-14T23:30", True),  # 15:30 UTC, the due day either way
        ("2026-04-15T01:00", False),  # still 04-14 in UTC (17:00), but the next day in Beijing
    ],
)
def test_on_time_compares_beijing_dates_not_utc_dates(when: str, on_time: bool) -> None:
    submitted = _survey_done_at(when)
    assert (submitted.data["due"], submitted.data["on_time"]) == ("2026-04-14", on_time)


def test_a_district_person_of_another_district_cannot_approve() -> None:
    project = new_project()
    _to_acceptance(project)
    project.approve_stage(
        "completion-acceptance", PEOPLE["zhaoy"], comment=None, now=at("2026-06-01T10:00"), calendar=CALENDAR
    )
    stage = project.stages["completion-acceptance"]
    with pytest.raises(PermissionDenied, match=re.escape("许巍 does not belong to chaoyang")):
        project.approve_stage(
            "completion-acceptance",
            PEOPLE["xuw"],
            comment=None,
            now=at("2026-06-01T11:00"),
            calendar=CALENDAR,
        )
    assert (stage.state, stage.next_approval_level().value) == (StageState.SUBMITTED, "district")
    with pytest.raises(PermissionDenied, match=re.escape("许巍 does not belong to chaoyang")):
        project.return_stage(
            "completion-acceptance", PEOPLE["xuw"], reason="不同意", now=at("2026-06-01T11:00")
        )
    project.approve_stage(
        "completion-acceptance", PEOPLE["zhoux"], comment=None, now=at("2026-06-02T10:00"), calendar=CALENDAR
    )
    assert stage.state is StageState.APPROVED


def _extension_requested(days: int) -> Project:
    project = new_project()
    project.request_extension(
        "needs-survey", PEOPLE["wangrb"], working_days=days, reason="住户外出", now=at("2026-04-08T09:00")
    )
    return project


def _grant(project: Project, days: int | None) -> list[Event]:
    return project.decide_extension(
        "needs-survey",
        PEOPLE["zhaoy"],
        grant=True,
        working_days=days,
        comment=None,
        now=at("2026-04-09T09:00"),
        calendar=CALENDAR,
    )


@pytest.mark.parametrize("days", [0, 6])
def test_a_street_office_grants_no_more_than_the_days_requested(days: int) -> None:
    project = _extension_requested(5)
    with pytest.raises(InvalidInput, match=f"granted days must be 1–5 \\(the days requested\\), got {days}"):
        _grant(project, days)
    survey = project.stages["needs-survey"]
    assert (survey.extensions[0].status, survey.deadline.due) == ("requested", dt.date(2026, 4, 14))


@pytest.mark.parametrize(
    ("days", "due"), [(None, dt.date(2026, 4, 21)), (5, dt.date(2026, 4, 21)), (4, dt.date(2026, 4, 20))]
)
def test_a_street_office_grants_all_or_part_of_the_days_requested(days: int | None, due: dt.date) -> None:
    project = _extension_requested(5)
    events = _grant(project, days)
    survey = project.stages["needs-survey"]
    granted = 5 if days is None else days
    assert (events[0].kind, events[0].data["granted_days"]) == (EventKind.EXTENSION_GRANTED, granted)
    assert (survey.extensions[0].status, survey.extensions[0].granted_days) == ("granted", granted)
    assert survey.deadline.due == due  # 04-14 + the granted working days
