"""Joint signing (会签 / 或签) and the parties of a project: the domain rules."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from accompany.config.settings import BUILTIN_TEMPLATES
from accompany.models.errors import Conflict, InvalidInput, Localized, PermissionDenied, RuleViolation
from accompany.models.parties import awaited_parties, parties_missing, resolve_parties, signed_parties
from accompany.models.people import Directory
from accompany.models.project import Project
from accompany.models.states import StageState
from accompany.models.template import JointStep, build_template

from .world import CALENDAR, DIRECTORY, PEOPLE, at

BODY = {
    "id": "joint",
    "version": 1,
    "name": "会签",
    "phases": [{"id": "p", "name": "阶段"}],
    "stages": [
        {
            "id": "acceptance",
            "name": "竣工验收",
            "phase": "p",
            "depends_on": [],
            "deadline": {"working_days": 10},
            "approval": [{"all": ["developer", "design", "construction", "supervision"]}, "street-office"],
        },
        {
            "id": "residents",
            "name": "居民确认",
            "phase": "p",
            "deadline": {"working_days": 10},
            "approval": [{"any": ["community-committee", "owners-committee"]}],
        },
    ],
}
TEMPLATE = build_template(BODY)
NAMED = {r: PEOPLE[i] for r, i in (("developer", "tyg-jszx"), ("design", "sy-design"))} | {
    "construction": PEOPLE["sy-build"],
    "supervision": PEOPLE["sy-jianli"],
}


def parties(named=None) -> dict[str, str]:
    return resolve_parties(
        TEMPLATE,
        NAMED if named is None else named,
        list(DIRECTORY.people),
        district="chaoyang",
        street="taiyanggong",
        street_name=Localized("太阳宫街道"),
    )


def project() -> Project:
    started, _ = Project.start(
        template=TEMPLATE,
        params={},
        name="验收",
        district="chaoyang",
        street="taiyanggong",
        community="太阳宫北社区",
        planner=PEOPLE["wangrb"],
        coordinator=PEOPLE["zhangl"],
        start_date=dt.date(2026, 3, 2),
        fixed_dues={},
        now=at("2026-03-02T09:00"),
        calendar=CALENDAR,
        parties=parties(),
    )
    started.id = 7
    return started


def submit(p: Project, key: str = "acceptance", when: str = "2026-03-05T10:00") -> None:
    p.complete_stage(
        key, PEOPLE["wangrb"], evidence={}, attachments=[], note=None, now=at(when), calendar=CALENDAR
    )


def sign(p: Project, who: str, when: str = "2026-03-06T10:00", key: str = "acceptance") -> list:
    return p.approve_stage(key, PEOPLE[who], comment=None, now=at(when), calendar=CALENDAR)


def test_street_parties_are_found_in_the_directory_and_project_parties_may_come_later() -> None:
    got = parties()
    assert got["community-committee"] == "tyg-jwh" and got["owners-committee"] == "tyg-ywh"
    assert got["design"] == "sy-design"
    # the construction company is chosen long after the residents were first asked: the
    # project starts without it, and the list says what is still missing
    later = parties({k: v for k, v in NAMED.items() if k != "construction"})
    assert "construction" not in later
    assert list(parties_missing(TEMPLATE, later)) == ["construction"]
    assert parties_missing(TEMPLATE, got) == {}
    with pytest.raises(InvalidInput, match="not in the directory"):
        parties({**NAMED, "design": None})
    with pytest.raises(InvalidInput, match="is a construction company, not a design institute"):
        parties({**NAMED, "design": PEOPLE["sy-build"]})


def test_all_must_sign_then_the_street_office() -> None:
    p = project()
    submit(p)
    stage = p.stages["acceptance"]
    assert isinstance(stage.next_approval_level(), JointStep)
    assert awaited_parties(stage) == ["developer", "design", "construction", "supervision"]
    events = sign(p, "sy-design")
    assert events[0].data["party"] == "design" and events[0].data["final"] is False
    assert signed_parties(stage) == ["design"]
    assert stage.approvals[-1].party == "design" and stage.approvals[-1].decided_by == "sy-design"
    with pytest.raises(Conflict, match="already signed"):
        sign(p, "sy-design", "2026-03-06T11:00")
    # the street office waits for the joint step
    with pytest.raises(PermissionDenied, match="joint signing"):
        sign(p, "zhaoy")
    for who in ("tyg-jszx", "sy-build", "sy-jianli"):
        sign(p, who)
    assert awaited_parties(stage) == []
    assert stage.next_approval_level().value == "street-office"
    # signed in this round: a second signature is a conflict, not "not your step"
    with pytest.raises(Conflict, match="already signed"):
        sign(p, "sy-build", "2026-03-06T12:00")
    sign(p, "zhaoy", "2026-03-07T10:00")
    assert stage.state is StageState.APPROVED


def test_a_return_by_one_party_starts_a_new_round_where_all_sign_again() -> None:
    p = project()
    submit(p)
    sign(p, "sy-design")
    sign(p, "sy-build")
    events = p.return_stage("acceptance", PEOPLE["sy-jianli"], reason="资料不全", now=at("2026-03-06T11:00"))
    assert events[0].data["party"] == "supervision"
    stage = p.stages["acceptance"]
    assert stage.state is StageState.IN_PROGRESS and stage.round == 2
    submit(p, when="2026-03-09T10:00")
    assert awaited_parties(stage) == ["developer", "design", "construction", "supervision"]
    sign(p, "sy-design", "2026-03-09T11:00")  # signs again in the new round
    assert signed_parties(stage) == ["design"]


def test_any_one_signature_is_enough() -> None:
    p = project()
    submit(p)
    for who in ("tyg-jszx", "sy-design", "sy-build", "sy-jianli", "zhaoy"):
        sign(p, who)
    submit(p, "residents", "2026-03-10T10:00")
    stage = p.stages["residents"]
    assert awaited_parties(stage) == ["community-committee", "owners-committee"]
    sign(p, "tyg-ywh", "2026-03-10T11:00", key="residents")
    assert stage.state is StageState.APPROVED


def test_a_party_signs_only_its_own_step_and_on_its_own_projects() -> None:
    p = project()
    submit(p)
    with pytest.raises(PermissionDenied, match="community committee"):
        sign(p, "tyg-jwh")
    p.parties["design"] = "someone-else"
    with pytest.raises(PermissionDenied, match="not the design institute of this project"):
        sign(p, "sy-design")
    # a party does not mark stages done
    with pytest.raises(PermissionDenied):
        p.complete_stage(
            "residents",
            PEOPLE["sy-build"],
            evidence={},
            attachments=[],
            note=None,
            now=at("2026-03-06T10:00"),
            calendar=CALENDAR,
        )


def test_a_party_sees_only_the_projects_it_is_on() -> None:
    scope = PEOPLE["sy-design"].scope()
    assert scope.covers("chaoyang", "taiyanggong", "wangrb", parties=["sy-design"])
    assert not scope.covers("chaoyang", "taiyanggong", "wangrb", parties=["other"])


def test_the_coordinator_edits_the_parties() -> None:
    p = project()
    events = p.set_parties(PEOPLE["zhangl"], {"expert": PEOPLE["linzj"]}, now=at("2026-03-03T09:00"))
    assert p.parties["expert"] == "linzj" and events[0].data["parties"] == {"expert": [None, "linzj"]}
    with pytest.raises(PermissionDenied):
        p.set_parties(PEOPLE["wangrb"], {"expert": PEOPLE["linzj"]}, now=at("2026-03-03T09:00"))
    with pytest.raises(InvalidInput, match="nothing to change"):
        p.set_parties(PEOPLE["zhangl"], {"expert": PEOPLE["linzj"]}, now=at("2026-03-03T09:00"))


def test_the_coordinator_takes_a_party_off_the_list_unless_a_stage_awaits_its_signature() -> None:
    p = project()
    when = at("2026-03-03T09:00")
    # named by mistake: taken off (it no longer sees the project); the stage it signs
    # then waits for a new one to be named before it is marked done
    events = p.set_parties(PEOPLE["zhangl"], {}, removed=["construction"], now=when)
    assert "construction" not in p.parties
    assert events[0].data["parties"] == {"construction": ["sy-build", None]}
    with pytest.raises(RuleViolation, match="has no construction company yet"):
        submit(p)
    with pytest.raises(InvalidInput, match="not named on this project"):
        p.set_parties(PEOPLE["zhangl"], {}, removed=["construction"], now=when)
    with pytest.raises(InvalidInput, match="named and removed at once"):
        p.set_parties(PEOPLE["zhangl"], {"design": PEOPLE["sy-design"]}, removed=["design"], now=when)
    with pytest.raises(InvalidInput, match="unknown party role"):
        p.set_parties(PEOPLE["zhangl"], {}, removed=["mayor"], now=when)
    with pytest.raises(PermissionDenied):
        p.set_parties(PEOPLE["wangrb"], {}, removed=["design"], now=when)
    p.set_parties(PEOPLE["zhangl"], {"construction": PEOPLE["sy-build"]}, now=when)
    submit(p)
    sign(p, "sy-design")
    # the stage waits for the others' signatures: none of them may leave the list now…
    with pytest.raises(RuleViolation, match="waiting for its signature"):
        p.set_parties(PEOPLE["zhangl"], {}, removed=["construction"], now=at("2026-03-06T11:00"))
    # …but one that signed this round may (its signature stays)
    p.set_parties(PEOPLE["zhangl"], {}, removed=["design"], now=at("2026-03-06T11:00"))
    assert signed_parties(p.stages["acceptance"]) == ["design"]


def test_template_refuses_an_unknown_party_and_a_party_in_two_steps() -> None:
    bad = yaml.safe_load(yaml.safe_dump(BODY))
    bad["stages"][0]["approval"] = [{"all": ["designer"]}]
    with pytest.raises(InvalidInput, match=r"stages\[0\]\.approval\[0\]\.joint\.all\[0\]"):
        build_template(bad)
    bad["stages"][0]["approval"] = [{"all": ["design"]}, {"any": ["design", "expert"]}]
    with pytest.raises(InvalidInput, match="a party signs in two approval steps"):
        build_template(bad)
    bad["stages"][0]["approval"] = [{"all": ["design"], "any": ["expert"]}]
    with pytest.raises(InvalidInput, match="either"):
        build_template(bad)


def test_version_2_of_the_service_template_signs_completion_jointly() -> None:
    body = yaml.safe_load((BUILTIN_TEMPLATES / "accompany-service-v3.yaml").read_text("utf-8"))
    v2 = build_template(body)
    assert v2.ref == "accompany-service@3"
    step = v2.stage("completion-acceptance").approval[0]
    assert isinstance(step, JointStep) and step.mode == "all"
    assert [p.value for p in step.parties] == ["developer", "design", "construction", "supervision"]


def test_directory_refuses_a_street_party_without_streets() -> None:
    raw = {
        "districts": [{"id": "d", "name": "区", "streets": [{"id": "s", "name": "街"}]}],
        "people": [{"id": "x", "name": "居委会", "role": "community-committee", "district": "d"}],
    }
    with pytest.raises(ValueError, match="must list the street"):
        Directory.model_validate(raw)


def test_each_awaited_party_is_asked_and_reminded_in_person() -> None:
    from accompany.models.reminders import (
        NotificationKind,
        ProjectFacts,
        StageFacts,
        notifications_for_events,
        reminders_for,
    )

    p = project()
    facts = ProjectFacts(
        project_id=7,
        name="验收",
        district="chaoyang",
        street="taiyanggong",
        planner="wangrb",
        coordinator="zhangl",
        stage_names={"acceptance": "竣工验收", "residents": "居民确认"},
    )
    submitted = p.complete_stage(
        "acceptance",
        PEOPLE["wangrb"],
        evidence={},
        attachments=[],
        note=None,
        now=at("2026-03-05T10:00"),
        calendar=CALENDAR,
    )
    asked = [
        i for i in notifications_for_events(facts, submitted) if i.kind is NotificationKind.APPROVAL_REQUESTED
    ]
    assert sorted(i.audience for i in asked) == [
        "person:sy-build",
        "person:sy-design",
        "person:sy-jianli",
        "person:tyg-jszx",
    ]
    # a signature while others are awaited asks nobody again; the last one asks the street office
    assert not notifications_for_events(facts, sign(p, "sy-design"))
    for who in ("tyg-jszx", "sy-build"):
        sign(p, who)
    last = notifications_for_events(facts, sign(p, "sy-jianli"))
    assert [i.audience for i in last if i.kind is NotificationKind.APPROVAL_REQUESTED] == [
        "street-office:taiyanggong"
    ]
    waiting = StageFacts(
        project_id=7,
        project_name="验收",
        district="chaoyang",
        street="taiyanggong",
        planner="wangrb",
        stage="acceptance",
        stage_name="竣工验收",
        state="submitted",
        submitted_on=dt.date(2026, 3, 5),
        round=1,
        waiting_level="all",
        awaited=("sy-build", "sy-jianli"),
    )
    reminders = reminders_for(waiting, dt.date(2026, 3, 12), TEMPLATE.reminders, CALENDAR)
    assert sorted(i.audience for i in reminders if i.kind is NotificationKind.APPROVAL_WAITING) == [
        "person:sy-build",
        "person:sy-jianli",
    ]


def test_a_stage_signed_jointly_waits_for_its_parties_to_be_named() -> None:
    """会签: every party named before the planner marks the stage done; 或签: one is
    enough. Naming the missing one lets the stage go on; nothing changes before."""
    started, _ = Project.start(
        template=TEMPLATE,
        params={},
        name="验收",
        district="chaoyang",
        street="taiyanggong",
        community="太阳宫北社区",
        planner=PEOPLE["wangrb"],
        coordinator=PEOPLE["zhangl"],
        start_date=dt.date(2026, 3, 2),
        fixed_dues={},
        now=at("2026-03-02T09:00"),
        calendar=CALENDAR,
        parties=parties({k: v for k, v in NAMED.items() if k not in ("construction", "supervision")}),
    )
    with pytest.raises(RuleViolation, match="construction company, supervision"):
        submit(started)
    assert started.stages["acceptance"].state is StageState.IN_PROGRESS
    started.set_parties(
        PEOPLE["zhangl"],
        {"construction": PEOPLE["sy-build"], "supervision": PEOPLE["sy-jianli"]},
        now=at("2026-03-04T09:00"),
    )
    submit(started)
    assert awaited_parties(started.stages["acceptance"]) == [
        "developer",
        "design",
        "construction",
        "supervision",
    ]


def test_naming_a_party_of_an_unknown_role_says_so() -> None:
    """Not "not in the directory": the role is what is wrong."""
    p = project()
    with pytest.raises(InvalidInput, match="unknown party role 'bogus'"):
        p.set_parties(PEOPLE["zhangl"], {"bogus": None}, now=at("2026-03-03T09:00"))
