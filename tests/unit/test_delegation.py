"""Delegation (代理审批): the rules on naming a substitute, when a delegation holds,
acting in the delegator's place and who hears the reminders — no database."""

from __future__ import annotations

import datetime as dt

import pytest

from accompany.models.delegation import (
    Delegation,
    acting_for,
    may_end_delegation,
    may_stand_in,
    new_delegation,
    on_behalf_label,
    substitutes_for,
    with_substitutes,
)
from accompany.models.errors import Conflict, InvalidInput, PermissionDenied, RuleViolation
from accompany.models.reminders import Intent, NotificationKind
from accompany.models.rules import Action

from .world import PEOPLE, at

NOW = at("2026-03-10T09:00")
STREETS = {"taiyanggong": "chaoyang", "jiuxianqiao": "chaoyang", "dongsi": "dongcheng"}


def make(
    delegator: str = "zhaoy", to: str = "lij", start: str = "2026-03-10", until: str = "2026-03-20", **kw
):  # type: ignore[no-untyped-def]
    return new_delegation(
        PEOPLE[delegator],
        PEOPLE[to],
        starts_on=dt.date.fromisoformat(start),
        ends_on=dt.date.fromisoformat(until),
        by=PEOPLE[kw.pop("by", delegator)],
        reason=kw.pop("reason", "出差"),
        now=kw.pop("now", NOW),
        **kw,
    )


def test_in_range_both_ends_included_until_ended() -> None:
    d = make()
    assert not d.in_effect(at("2026-03-09T23:59"))
    assert d.in_effect(at("2026-03-10T00:00"))
    assert d.in_effect(at("2026-03-20T23:59"))
    assert not d.in_effect(at("2026-03-21T00:00"))
    ended = Delegation(**{**d.__dict__, "ended_at": at("2026-03-12T12:00")})
    assert ended.in_effect(at("2026-03-12T11:59"))
    assert not ended.in_effect(at("2026-03-12T12:00"))


def test_the_range_runs_forward_from_today_for_at_most_180_days() -> None:
    with pytest.raises(InvalidInput, match="ends \\(2026-03-09\\) before it starts"):
        make(until="2026-03-09")
    with pytest.raises(InvalidInput, match="cannot start in the past"):
        make(start="2026-03-09")
    make(start="2026-03-10", until="2026-09-05")  # 180 days
    with pytest.raises(InvalidInput, match="at most 180 days, this one 181"):
        make(start="2026-03-10", until="2026-09-06")


def test_not_oneself_nor_another_role_or_district() -> None:
    with pytest.raises(InvalidInput, match="their own substitute"):
        make(to="zhaoy")
    with pytest.raises(InvalidInput, match="must be a street office too"):
        make(to="zhoux")
    with pytest.raises(InvalidInput, match="another district"):
        make(to="guoj")
    inactive = PEOPLE["lij"].model_copy(update={"active": False})
    with pytest.raises(InvalidInput, match="no longer active"):
        new_delegation(
            PEOPLE["zhaoy"],
            inactive,
            starts_on=NOW.date(),
            ends_on=NOW.date(),
            by=PEOPLE["zhaoy"],
            reason=None,
            now=NOW,
        )


def test_only_approvers_delegate_and_only_they_or_their_district_arrange_it() -> None:
    with pytest.raises(PermissionDenied, match="only a street office or district person"):
        make(delegator="zhangl", to="liuq")
    with pytest.raises(PermissionDenied, match="only 赵阳 or the district can"):
        make(by="sunh")
    with pytest.raises(PermissionDenied):
        make(by="xuw")  # a district person of another district
    assert make(by="zhoux").created_by == "zhoux"


def test_one_substitute_at_a_time() -> None:
    first = Delegation(**{**make().__dict__, "id": 7})
    with pytest.raises(Conflict, match="delegation #7 already names lij"):
        make(to="sunh", start="2026-03-20", until="2026-03-25", existing=[first])
    make(to="sunh", start="2026-03-21", until="2026-03-25", existing=[first])


def test_ending_early() -> None:
    d = Delegation(**{**make().__dict__, "id": 3})
    for who in ("zhaoy", "lij", "zhoux"):
        may_end_delegation(d, PEOPLE[who], PEOPLE["zhaoy"], NOW)
    with pytest.raises(PermissionDenied, match="cannot end delegation #3"):
        may_end_delegation(d, PEOPLE["sunh"], PEOPLE["zhaoy"], NOW)
    with pytest.raises(RuleViolation, match="already over"):
        may_end_delegation(d, PEOPLE["zhaoy"], PEOPLE["zhaoy"], at("2026-03-21T08:00"))


def test_the_substitute_acts_with_the_delegators_scope_under_their_own_name() -> None:
    proxy = acting_for(PEOPLE["lij"], PEOPLE["zhaoy"])
    assert (proxy.id, proxy.name, proxy.streets) == ("lij", "李静", ("taiyanggong",))
    assert on_behalf_label("赵阳", "孙浩", "zh") == "赵阳（代 孙浩）"
    assert on_behalf_label("Zhao Yang", "Sun Hao", "en") == "Zhao Yang (for Sun Hao)"
    assert on_behalf_label("赵阳", None, "en") == "赵阳"


def test_a_substitute_hears_what_reaches_the_delegator_or_their_office() -> None:
    pairs = [(make(), PEOPLE["zhaoy"])]
    assert substitutes_for("street-office:taiyanggong", pairs, STREETS) == ["lij"]
    assert substitutes_for("person:zhaoy", pairs, STREETS) == ["lij"]
    assert substitutes_for("street-office:jiuxianqiao", pairs, STREETS) == []
    assert substitutes_for("district:chaoyang", pairs, STREETS) == []
    intent = Intent(
        "street-office:taiyanggong", NotificationKind.ESCALATION_STREET_OFFICE, 1, "needs-survey", "x"
    )
    out = with_substitutes([intent], pairs, STREETS)
    assert [i.audience for i in out] == ["street-office:taiyanggong", "person:lij"]
    assert with_substitutes(out, pairs, STREETS) == out  # not twice


def test_only_decisions_are_delegated() -> None:
    from accompany.models.delegation import DELEGATED_ACTIONS

    assert {Action.APPROVE, Action.RETURN, Action.DECIDE_EXTENSION} == DELEGATED_ACTIONS


def test_only_street_office_and_district_people_can_stand_in() -> None:
    """A substitute has the delegator's role, so planners and coordinators never
    decide for anyone (the pages skip looking up their delegations)."""
    roles = {p.role.value: may_stand_in(p) for p in PEOPLE.values()}
    parties = {
        role: False for role in roles if role not in ("planner", "coordinator", "street-office", "district")
    }
    assert len(parties) == 8  # the parties of projects do not decide for anyone either
    assert roles == {
        "planner": False,
        "coordinator": False,
        "street-office": True,
        "district": True,
        **parties,
    }
