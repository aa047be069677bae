"""Undo (撤回) of a party's signature or return in a joint step (会签/或签): the same
rules as at a level — only the party who signed, within the window, nothing since —
and the round as it was before (the other parties' signatures intact)."""

from __future__ import annotations

import pytest

from accompany.models.errors import Conflict, PermissionDenied
from accompany.models.events import Event, EventKind
from accompany.models.parties import awaited_parties, signed_parties
from accompany.models.project import Project
from accompany.models.reminders import NotificationKind, ProjectFacts, notifications_for_events
from accompany.models.states import StageState
from accompany.models.template import ApprovalLevel, JointStep
from accompany.models.undo import DEFAULT_UNDO_WINDOW, may_undo, undo_decision

from .test_joint_signing import project, sign, submit
from .test_undo import Log
from .world import CALENDAR, PEOPLE, at

KEY = "acceptance"


def signed(p: Project, log: Log, who: str, when: str) -> list[Event]:
    return log.add(sign(p, who, when))


def undo(p: Project, log: Log, who: str, real: str, key: str = KEY) -> list[Event]:
    return undo_decision(
        p,
        key,
        PEOPLE[who],
        log.history(key, PEOPLE[who].id),
        reason="签错了",
        now=at(real),
        real_now=at(real),
        window=DEFAULT_UNDO_WINDOW,
        calendar=CALENDAR,
    )


def submitted(log: Log) -> Project:
    p = project()
    submit(p)
    log.add([Event(EventKind.STAGE_SUBMITTED, at("2026-03-05T10:00"), "wangrb", stage=KEY)])
    return p


def test_undoing_one_signature_of_a_joint_round_keeps_the_others() -> None:
    log = Log()
    p = submitted(log)
    signed(p, log, "sy-design", "2026-03-06T10:00")
    signed(p, log, "tyg-jszx", "2026-03-06T10:10")
    stage = p.stages[KEY]
    assert signed_parties(stage) == ["design", "developer"]
    # the design institute signed first: the developer's signature came since
    with pytest.raises(Conflict, match="no longer the last thing") as caught:
        undo(p, log, "sy-design", "2026-03-06T10:15")
    assert caught.value.values["kind"].code == "stage.approved"
    # only the party who signed undoes it
    with pytest.raises(PermissionDenied, match="only the person who gave it"):
        undo(p, log, "sy-build", "2026-03-06T10:15")
    assert not may_undo(
        p,
        KEY,
        PEOPLE["sy-design"],
        log.history(KEY, "sy-design"),
        real_now=at("2026-03-06T10:15"),
        window=DEFAULT_UNDO_WINDOW,
    )
    assert may_undo(
        p,
        KEY,
        PEOPLE["tyg-jszx"],
        log.history(KEY, "tyg-jszx"),
        real_now=at("2026-03-06T10:15"),
        window=DEFAULT_UNDO_WINDOW,
    )
    events = log.add(undo(p, log, "tyg-jszx", "2026-03-06T10:15"))
    undone = events[0]
    assert undone.kind is EventKind.STAGE_DECISION_UNDONE
    assert (undone.data["party"], undone.data["level"], undone.data["step"]) == (
        "developer",
        "developer",
        "all",
    )
    assert undone.data["decision"] == "approved" and undone.data["final"] is False
    assert stage.state is StageState.SUBMITTED and stage.round == 1
    assert signed_parties(stage) == ["design"]  # the design institute's signature stays
    assert awaited_parties(stage) == ["developer", "construction", "supervision"]
    # the developer signs again, as if nothing had happened
    signed(p, log, "tyg-jszx", "2026-03-06T10:20")
    assert signed_parties(stage) == ["design", "developer"]


def test_undoing_the_signature_that_completed_the_step_puts_the_step_back() -> None:
    log = Log()
    p = submitted(log)
    for minute, who in enumerate(("sy-design", "tyg-jszx", "sy-build", "sy-jianli")):
        events = signed(p, log, who, f"2026-03-06T10:0{minute}")
    assert events[0].data["next_level"] == "street-office"
    stage = p.stages[KEY]
    assert stage.next_approval_level() is ApprovalLevel.STREET_OFFICE
    undone = undo(p, log, "sy-jianli", "2026-03-06T10:10")[0]
    assert undone.data["next_level"] == "street-office"
    assert isinstance(stage.next_approval_level(), JointStep)
    assert awaited_parties(stage) == ["supervision"]
    assert signed_parties(stage) == ["design", "developer", "construction"]


def test_undoing_a_party_return_restores_the_round_with_its_signatures() -> None:
    log = Log()
    p = submitted(log)
    signed(p, log, "sy-design", "2026-03-06T10:00")
    signed(p, log, "sy-build", "2026-03-06T10:05")
    log.add(p.return_stage(KEY, PEOPLE["sy-jianli"], reason="资料不全", now=at("2026-03-06T11:00")))
    stage = p.stages[KEY]
    assert (stage.state, stage.round, signed_parties(stage)) == (StageState.IN_PROGRESS, 2, [])
    # the design institute's signature is not the last thing: the return came since
    with pytest.raises(Conflict, match="no longer the last thing"):
        undo(p, log, "sy-design", "2026-03-06T11:05")
    with pytest.raises(PermissionDenied, match="only the person who gave it"):
        undo(p, log, "tyg-jszx", "2026-03-06T11:05")
    undone = undo(p, log, "sy-jianli", "2026-03-06T11:05")[0]
    assert (undone.data["decision"], undone.data["party"], undone.data["round"]) == (
        "returned",
        "supervision",
        1,
    )
    assert (stage.state, stage.round, stage.submitted_at) == (StageState.SUBMITTED, 1, at("2026-03-05T10:00"))
    assert signed_parties(stage) == ["design", "construction"]
    assert awaited_parties(stage) == ["developer", "supervision"]
    assert [a.decision for a in stage.approvals] == ["approved", "approved"]  # the return is gone


def test_a_signature_is_undone_only_within_the_window() -> None:
    log = Log()
    p = submitted(log)
    signed(p, log, "sy-design", "2026-03-06T10:00")
    with pytest.raises(Conflict, match="within 30 minutes"):
        undo(p, log, "sy-design", "2026-03-06T10:31")
    assert signed_parties(p.stages[KEY]) == ["design"]


def test_whoever_the_signature_asked_hears_it_was_withdrawn() -> None:
    """The undone decision made a joint step the awaited one: each party it asked
    in person hears it was withdrawn; a signature that left its step waiting told
    nobody, so nobody is told."""
    facts = ProjectFacts(1, "验收", "chaoyang", "taiyanggong", "wangrb", "zhangl", {KEY: "竣工验收"})

    def told(**data: object) -> list[str]:
        event = Event(
            EventKind.STAGE_DECISION_UNDONE,
            at("2026-03-06T10:05"),
            "zhaoy",
            stage=KEY,
            data={"undone_event": 9, "decision": "approved", "final": False, **data},
        )
        intents = notifications_for_events(facts, [event])
        assert {i.kind for i in intents} <= {NotificationKind.DECISION_UNDONE}
        return sorted(i.audience for i in intents)

    assert told(next_level="all", awaited_parties={"design": "sy-design", "construction": "sy-build"}) == [
        "person:sy-build",
        "person:sy-design",
    ]
    assert told(next_level="all", party="design") == []
    assert told(next_level="street-office", party="supervision") == ["street-office:taiyanggong"]
