"""A failed consent loops back for a new round (``models.loop``): the template's
``on_failure``, the rule on a failed gate, and the state after a loop."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import yaml

from accompany.config.settings import BUILTIN_TEMPLATES
from accompany.models.consent import Choice, Home, Rule, tally
from accompany.models.errors import Conflict, InvalidInput, PermissionDenied, RuleViolation
from accompany.models.events import EventKind
from accompany.models.loop import (
    DEADLINE_PASSED,
    TALLY_FAILED,
    consent_failed,
    loop_back,
    loop_stages,
    may_loop,
)
from accompany.models.project import ApprovalRecord, Project
from accompany.models.states import ProjectStatus, StageState
from accompany.models.template import ApprovalLevel, build_template

from .world import CALENDAR, PEOPLE, at, file

#: version 2 of the default template: its consent stage loops back (version 1 has no loop)
TEMPLATE_BODY = yaml.safe_load((BUILTIN_TEMPLATES / "accompany-service-v2.yaml").read_text("utf-8"))


def new_project() -> Project:
    project, _ = Project.start(
        template=build_template(TEMPLATE_BODY),
        params={},
        name="口袋公园",
        district="chaoyang",
        street="taiyanggong",
        community="太阳宫北社区",
        planner=PEOPLE["wangrb"],
        coordinator=PEOPLE["zhangl"],
        start_date=dt.date(2026, 3, 2),
        fixed_dues={"construction-accompany": dt.date(2026, 10, 30)},
        now=at("2026-03-02T09:00"),
        calendar=CALENDAR,
    )
    project.id = 1
    return project


EARLIER = ("needs-survey", "needs-list", "design-proposal", "plan-presentation")
REGISTER = {f"H{i}": Home(10000, 1) for i in range(4)}  # 4 homes of 100 m², one owner each


def at_consent(when: str = "2026-06-01T09:00") -> Project:
    """A project whose consent stage is in progress (the earlier stages approved)."""
    project = new_project()
    moment = at(when)
    for key in EARLIER:
        stage = project.stages[key]
        stage.state, stage.approved_at = StageState.APPROVED, moment
        stage.activated_at = stage.activated_at or moment
        stage.approvals.append(ApprovalRecord(1, ApprovalLevel.STREET_OFFICE, "approved", "zhaoy", moment))
    proposal = project.stages["design-proposal"]
    proposal.attachments.append(file("proposal", "方案.pdf"))
    proposal.attachments[0].id = 7
    proposal.evidence = {"note": "v1"}
    consent = project.stages["resident-consent"]
    consent.state, consent.activated_at, consent.deadline = StageState.IN_PROGRESS, moment, None
    project._refresh_deadline(consent, moment, CALENDAR, "test")
    return project


def failing() -> object:
    return tally(REGISTER, {"H0": Choice.AGREE, "H1": Choice.DISAGREE, "H2": Choice.DISAGREE}, Rule.MAJOR)


def passing() -> object:
    return tally(REGISTER, {k: Choice.AGREE for k in REGISTER}, Rule.MAJOR)


# -- the template ----------------------------------------------------------------------------


def test_the_default_template_loops_consent_back_to_the_proposal() -> None:
    from .world import TEMPLATE_BODY as VERSION_1

    # version 1 stays as projects snapshotted it: no loop
    assert build_template(VERSION_1).stage("resident-consent").on_failure is None
    spec = build_template(TEMPLATE_BODY).stage("resident-consent")
    assert spec.on_failure is not None and spec.on_failure.loop_to == "design-proposal"
    assert build_template(TEMPLATE_BODY).stage("design-proposal").on_failure is None


def _with(loop_to: str, stage: str = "resident-consent") -> dict:  # type: ignore[type-arg]
    document = copy.deepcopy(TEMPLATE_BODY)
    for spec in document["stages"]:
        spec.pop("on_failure", None)
        if spec["id"] == stage:
            spec["on_failure"] = {"loop_to": loop_to}
    return document


@pytest.mark.parametrize(
    ("target", "stage", "message"),
    [
        ("construction-accompany", "resident-consent", "must name an earlier stage it depends on"),
        ("resident-consent", "resident-consent", "must name an earlier stage it depends on"),
        ("nowhere", "resident-consent", "must name an earlier stage it depends on"),
        ("needs-survey", "design-proposal", "on_failure needs a consent ballot"),
    ],
)
def test_a_loop_target_must_be_an_earlier_stage_depended_on(target: str, stage: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        build_template(_with(target, stage))
    text = str(caught.value)
    assert message in text and f"({stage})" in text and "stages[" in text


def test_a_template_without_on_failure_still_loads() -> None:
    document = _with("design-proposal")
    document["stages"][4].pop("on_failure")
    assert build_template(document).stage("resident-consent").on_failure is None


def test_the_stages_a_loop_resets() -> None:
    template = build_template(TEMPLATE_BODY)
    assert loop_stages(template, "resident-consent", "design-proposal") == [
        "design-proposal",
        "plan-presentation",
        "resident-consent",
    ]
    assert loop_stages(template, "resident-consent", "needs-list")[0] == "needs-list"


# -- the rule ------------------------------------------------------------------------------------


def test_failed_when_ballots_fail_or_the_deadline_passed_without_a_pass() -> None:
    project = at_consent()
    today = dt.date(2026, 6, 2)
    assert consent_failed(project, "resident-consent", failing(), today) == TALLY_FAILED  # type: ignore[arg-type]
    with pytest.raises(Conflict, match="passes"):
        consent_failed(project, "resident-consent", passing(), today)  # type: ignore[arg-type]
    with pytest.raises(Conflict, match="has not failed"):
        consent_failed(project, "resident-consent", None, today)
    due = project.stages["resident-consent"].deadline.due  # type: ignore[union-attr]
    assert consent_failed(project, "resident-consent", None, due + dt.timedelta(days=1)) == DEADLINE_PASSED
    with pytest.raises(Conflict, match="has not failed"):
        consent_failed(project, "resident-consent", None, due)  # the last day still counts


def test_who_may_loop() -> None:
    project = at_consent()
    today = dt.date(2026, 6, 2)
    assert may_loop(project, "resident-consent", PEOPLE["wangrb"], failing(), today)  # type: ignore[arg-type]
    assert may_loop(project, "resident-consent", PEOPLE["zhangl"], failing(), today)  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        loop_back(
            project,
            "resident-consent",
            PEOPLE["zhaoy"],
            reason="x",
            result=failing(),  # type: ignore[arg-type]
            now=at("2026-06-02T10:00"),
            calendar=CALENDAR,
        )


def test_refusals_change_nothing() -> None:
    project = at_consent()
    before = copy.deepcopy(project.stages)
    now = at("2026-06-02T10:00")
    with pytest.raises(InvalidInput, match="needs a reason"):
        loop_back(
            project,
            "resident-consent",
            PEOPLE["wangrb"],
            reason="  ",
            result=failing(),
            now=now,
            calendar=CALENDAR,
        )  # type: ignore[arg-type]
    with pytest.raises(Conflict, match="declares no loop"):
        project.stages["plan-presentation"].state = StageState.IN_PROGRESS
        loop_back(
            project,
            "plan-presentation",
            PEOPLE["wangrb"],
            reason="x",
            result=None,
            now=now,
            calendar=CALENDAR,
        )
    project.stages["plan-presentation"].state = StageState.APPROVED
    project.status = ProjectStatus.CANCELLED
    with pytest.raises(Conflict, match="cancelled"):
        loop_back(
            project,
            "resident-consent",
            PEOPLE["wangrb"],
            reason="x",
            result=failing(),
            now=now,
            calendar=CALENDAR,
        )  # type: ignore[arg-type]
    project.status = ProjectStatus.ACTIVE
    assert {k: (s.state, s.round, s.deadline) for k, s in project.stages.items()} == {
        k: (s.state, s.round, s.deadline) for k, s in before.items()
    }


# -- the change -----------------------------------------------------------------------------------


def test_the_state_after_a_loop_and_the_next_round() -> None:
    project = at_consent()
    old_due = project.stages["resident-consent"].deadline.due  # type: ignore[union-attr]
    now = at("2026-06-03T10:00")
    plan, events = loop_back(
        project,
        "resident-consent",
        PEOPLE["wangrb"],
        reason="多数居民反对方案",
        result=failing(),  # type: ignore[arg-type]
        now=now,
        calendar=CALENDAR,
    )
    assert plan.stages == ("design-proposal", "plan-presentation", "resident-consent")
    proposal, notice, consent = (project.stages[k] for k in plan.stages)
    assert (proposal.state, proposal.round, proposal.activated_at) == (StageState.IN_PROGRESS, 2, now)
    assert (
        proposal.deadline is not None
        and proposal.deadline.due == CALENDAR.add_working_days(dt.date(2026, 6, 3), 30).value
    )
    assert (notice.state, notice.round, notice.deadline) == (StageState.PENDING, 2, None)
    assert (consent.state, consent.round, consent.deadline, consent.activated_at) == (
        StageState.PENDING,
        2,
        None,
        None,
    )
    # the old round's evidence and files no longer count, the log keeps them
    assert proposal.evidence == {} and proposal.attachments == [] and proposal.dropped_attachments == [7]
    assert proposal.approvals_this_round() == []
    assert (
        project.stages["needs-list"].state is StageState.APPROVED and project.stages["needs-list"].round == 1
    )
    looped, deadline = events
    assert looped.kind is EventKind.STAGE_LOOPED and deadline.kind is EventKind.DEADLINE_SET
    data = looped.data
    assert data["target"] == "design-proposal" and data["why"] == TALLY_FAILED
    assert data["stages_reset"] == list(plan.stages)
    assert data["deadlines_removed"]["resident-consent"] == old_due.isoformat()
    assert data["files_archived"]["design-proposal"][0]["filename"] == "方案.pdf"
    assert data["tally"]["agreeing"] == 1 and data["tally"]["passed"] is False
    assert data["rounds"] == {"design-proposal": 2, "plan-presentation": 2, "resident-consent": 2}
    # the loop's stage is no longer in progress: a second loop is refused
    with pytest.raises(Conflict, match="not in progress"):
        loop_back(
            project, "resident-consent", PEOPLE["wangrb"], reason="x", result=None, now=now, calendar=CALENDAR
        )


# -- the quarterly report's replay -----------------------------------------------------------------


def _replay(with_loop: bool):  # type: ignore[no-untyped-def]
    from accompany.models.report import EventFact, Quarter, build_report

    events = [
        EventFact(
            1,
            "project.started",
            at("2026-03-02T09:00"),
            1,
            None,
            "zhangl",
            "active",
            {
                "name": "口袋公园",
                "district": "chaoyang",
                "street": "taiyanggong",
                "planner": "wangrb",
                "team": "t",
                "template": "accompany-service@2",
                "start_date": "2026-03-02",
            },
        ),
        EventFact(
            2, "stage.activated", at("2026-06-01T09:00"), 1, "resident-consent", "system", "in_progress", {}
        ),
        EventFact(
            3, "stage.deadline_set", at("2026-06-01T09:00"), 1, "resident-consent", "system", "2026-06-22", {}
        ),
    ]
    if with_loop:
        events += [
            EventFact(
                4,
                "stage.looped",
                at("2026-09-01T10:00"),
                1,
                "resident-consent",
                "wangrb",
                "pending",
                {
                    "target": "design-proposal",
                    "stages_reset": ["design-proposal", "plan-presentation", "resident-consent"],
                },
            ),
            EventFact(
                5,
                "stage.deadline_set",
                at("2026-09-01T10:00"),
                1,
                "design-proposal",
                "system",
                "2026-10-20",
                {},
            ),
        ]
    phases = {"accompany-service@2": {s["id"]: s["phase"] for s in TEMPLATE_BODY["stages"]}}
    return build_report(
        quarter=Quarter.parse("2026Q3"),
        cutoff=at("2026-09-30T12:00"),
        events=events,
        phases_by_template=phases,
        notifications=[],
        calendar=CALENDAR,
    )


def test_a_looped_stage_is_not_overdue_for_its_old_deadline() -> None:
    """The rule: a reset stage's old deadline no longer counts; only the new round's
    deadline does (the target's, set by the loop)."""
    assert [row["stage"] for row in _replay(False).worst_overdue] == ["resident-consent"]
    assert _replay(True).worst_overdue == []


def test_a_loop_is_not_dated_before_the_history_of_its_stages() -> None:
    project = at_consent("2026-06-05T09:00")
    with pytest.raises(RuleViolation, match="changed later"):
        loop_back(
            project,
            "resident-consent",
            PEOPLE["wangrb"],
            reason="x",
            result=failing(),  # type: ignore[arg-type]
            now=at("2026-06-04T10:00"),
            calendar=CALENDAR,
        )
    assert project.stages["design-proposal"].round == 1


def test_a_loop_withdraws_the_extension_requests_waiting_on_the_stages_it_resets() -> None:
    """The planner asked for more days on the consent; the ballot then failed and the
    project loops back: nobody is left to decide that request (its round is over).
    It is withdrawn by the loop, with an event saying why; a request decided before
    stays as it was, and the planner may ask again in the new round."""
    project = at_consent()
    planner = PEOPLE["wangrb"]
    project.request_extension(
        "resident-consent", planner, working_days=5, reason="入户征询需更多时间", now=at("2026-06-02T09:00")
    )
    consent = project.stages["resident-consent"]
    assert consent.open_extension() is not None
    now = at("2026-06-03T10:00")
    _, events = loop_back(
        project,
        "resident-consent",
        planner,
        reason="多数居民反对方案",
        result=failing(),  # type: ignore[arg-type]
        now=now,
        calendar=CALENDAR,
    )
    assert [e.kind for e in events] == [
        EventKind.STAGE_LOOPED,
        EventKind.EXTENSION_WITHDRAWN,
        EventKind.DEADLINE_SET,
    ]
    withdrawn = events[1]
    assert withdrawn.stage == "resident-consent" and withdrawn.actor == "wangrb" and withdrawn.at == now
    assert withdrawn.data["why"] == "new_round" and withdrawn.data["working_days"] == 5
    assert withdrawn.data["reason"] == "入户征询需更多时间" and withdrawn.data["target"] == "design-proposal"
    assert events[0].data["extensions_withdrawn"] == {"resident-consent": 5}
    request = consent.extensions[0]
    assert (request.status, request.decided_by, request.decided_at, request.dirty) == (
        "withdrawn",
        "wangrb",
        now,
        True,
    )
    assert consent.open_extension() is None and consent.granted_extension_days() == 0


def test_a_loop_without_waiting_requests_withdraws_nothing() -> None:
    project = at_consent()
    project.request_extension(
        "resident-consent", PEOPLE["wangrb"], working_days=3, reason="春节", now=at("2026-06-01T12:00")
    )
    project.decide_extension(
        "resident-consent",
        PEOPLE["zhaoy"],
        grant=False,
        working_days=None,
        comment="时间够用",
        now=at("2026-06-01T15:00"),
        calendar=CALENDAR,
    )
    _, events = loop_back(
        project,
        "resident-consent",
        PEOPLE["wangrb"],
        reason="多数居民反对方案",
        result=failing(),  # type: ignore[arg-type]
        now=at("2026-06-03T10:00"),
        calendar=CALENDAR,
    )
    assert EventKind.EXTENSION_WITHDRAWN not in [e.kind for e in events]
    assert events[0].data["extensions_withdrawn"] == {}
    assert project.stages["resident-consent"].extensions[0].status == "refused"
