"""Civil Code Art. 278 with exact fractions: participation ≥ 2/3 of the area and of
the owners, approval ≥ 3/4 (major) or > 1/2 (ordinary) of the participating area
and owners — each boundary exactly, each of area and heads failing alone."""

from __future__ import annotations

from fractions import Fraction

import pytest

from accompany.models.consent import (
    Channel,
    Choice,
    Home,
    Rule,
    approval_met,
    ballot_open,
    cast,
    consent_evidence,
    failed_conditions,
    parse_choice,
    participation_met,
    tally,
)
from accompany.models.errors import InvalidInput
from accompany.models.states import ProjectStatus, StageState

A, D, X = Choice.AGREE, Choice.DISAGREE, Choice.ABSTAIN


def register(*homes: tuple[int, int]) -> dict[str, Home]:
    return {f"h{i}": Home(area, owners) for i, (area, owners) in enumerate(homes)}


def votes(*choices: Choice | None) -> dict[str, Choice]:
    return {f"h{i}": c for i, c in enumerate(choices) if c is not None}


def test_the_thresholds_are_exact_fractions() -> None:
    assert participation_met(Fraction(2), Fraction(3))
    assert not participation_met(Fraction(2) - Fraction(1, 10**9), Fraction(3))
    assert approval_met(Fraction(3), Fraction(4), Rule.MAJOR)
    assert not approval_met(Fraction(7499), Fraction(10000), Rule.MAJOR)
    assert not approval_met(Fraction(1), Fraction(2), Rule.ORDINARY)  # exactly half is not more
    assert approval_met(Fraction(5001), Fraction(10000), Rule.ORDINARY)
    assert not approval_met(Fraction(0), Fraction(0), Rule.ORDINARY)
    assert not participation_met(Fraction(0), Fraction(0))


def test_participation_exactly_two_thirds_of_area_and_owners_passes() -> None:
    result = tally(register((100, 1), (100, 1), (100, 1)), votes(A, A, None), Rule.MAJOR)
    assert (result.participating.households, result.participating.owners) == (2, 2)
    assert result.participation_area_ok and result.participation_owners_ok
    assert result.passed and failed_conditions(result) == []


def test_participation_fails_on_area_alone() -> None:
    # owners 2 of 3 (exactly 2/3) but area 2 of 4 m²
    result = tally(register((100, 1), (100, 1), (200, 1)), votes(A, A, None), Rule.MAJOR)
    assert result.participation_owners_ok and not result.participation_area_ok
    assert not result.passed and failed_conditions(result) == ["participation_area"]


def test_participation_fails_on_owners_alone() -> None:
    # area 2 of 3 (exactly 2/3) but owners 2 of 4
    result = tally(register((100, 1), (100, 1), (100, 2)), votes(A, A, None), Rule.MAJOR)
    assert result.participation_area_ok and not result.participation_owners_ok
    assert not result.passed and failed_conditions(result) == ["participation_owners"]


def test_major_approval_exactly_three_quarters_passes() -> None:
    result = tally(register(*[(100, 1)] * 4), votes(A, A, A, D), Rule.MAJOR)
    assert result.agreeing.households == 3 and result.passed


def test_major_approval_fails_on_area_alone() -> None:
    # owners 3 of 4 agree (exactly 3/4), area 3 of 6 m²
    result = tally(register((100, 1), (100, 1), (100, 1), (300, 1)), votes(A, A, A, D), Rule.MAJOR)
    assert result.participation_ok and result.approval_owners_ok and not result.approval_area_ok
    assert not result.passed and failed_conditions(result) == ["approval_area"]


def test_major_approval_fails_on_owners_alone() -> None:
    # area 3 of 4 m² agree (exactly 3/4), owners 3 of 6
    result = tally(register((100, 1), (100, 1), (100, 1), (100, 3)), votes(A, A, A, D), Rule.MAJOR)
    assert result.approval_area_ok and not result.approval_owners_ok
    assert failed_conditions(result) == ["approval_owners"]


def test_just_under_three_quarters_of_the_area_fails() -> None:
    # 74.99 of 100 m²
    result = tally(register((7499, 3), (2501, 1)), votes(A, D), Rule.MAJOR)
    assert result.approval_owners_ok and not result.approval_area_ok


def test_ordinary_rule_needs_more_than_half() -> None:
    half = tally(register(*[(100, 1)] * 4), votes(A, A, D, D), Rule.ORDINARY)
    assert not half.passed and failed_conditions(half) == ["approval_area", "approval_owners"]
    more = tally(register(*[(100, 1)] * 4), votes(A, A, A, D), Rule.ORDINARY)
    assert more.passed
    # area more than half, owners exactly half: fails on owners alone
    owners_half = tally(register((200, 1), (100, 1)), votes(A, D), Rule.ORDINARY)
    assert owners_half.approval_area_ok and not owners_half.approval_owners_ok


def test_abstaining_takes_part_without_approving() -> None:
    result = tally(register(*[(100, 1)] * 4), votes(A, A, A, X), Rule.MAJOR)
    assert (result.participating.households, result.abstaining.households) == (4, 1)
    assert result.passed
    result = tally(register(*[(100, 1)] * 4), votes(A, A, X, X), Rule.MAJOR)
    assert result.participation_ok and not result.approval_ok


def test_a_ballot_of_a_household_not_in_the_register_is_not_counted() -> None:
    result = tally(register((100, 1)), {"h0": A, "gone": A}, Rule.ORDINARY)
    assert result.participating.households == 1 and result.total.households == 1


def test_an_empty_register_never_passes() -> None:
    assert not tally({}, {}, Rule.ORDINARY).passed


def test_a_second_ballot_replaces_the_first_and_counts_once() -> None:
    box: dict[str, Choice] = {}
    first = cast(box, "h0", A, Channel.PUBLIC)
    assert first.replaced is None and not first.is_replacement
    second = cast(box, "h0", D, Channel.PAPER)
    assert second.replaced is A and second.is_replacement
    result = tally(register((100, 1), (100, 1)), box, Rule.ORDINARY)
    assert (result.participating.households, result.agreeing.households, result.disagreeing.households) == (
        1,
        0,
        1,
    )


def test_choices_as_typed() -> None:
    assert parse_choice(" Agree ") is A and parse_choice("不同意") is D and parse_choice("弃权") is X
    with pytest.raises(InvalidInput, match="not a ballot choice"):
        parse_choice("maybe")


def test_the_ballot_is_open_only_while_the_stage_is_in_progress() -> None:
    assert ballot_open(StageState.IN_PROGRESS, ProjectStatus.ACTIVE)
    for state in (StageState.PENDING, StageState.SUBMITTED, StageState.APPROVED):
        assert not ballot_open(state, ProjectStatus.ACTIVE)
    assert not ballot_open(StageState.IN_PROGRESS, ProjectStatus.SUSPENDED)


def test_the_evidence_follows_the_tally_and_refuses_a_different_figure() -> None:
    result = tally(register(*[(100, 1)] * 4), votes(A, A, A, D), Rule.MAJOR)
    keys = {"participating_key": "households_surveyed", "approving_key": "households_consenting"}
    assert consent_evidence({}, result, **keys) == {"households_surveyed": 4, "households_consenting": 3}
    assert consent_evidence({"households_consenting": 3}, result, **keys)["households_consenting"] == 3
    with pytest.raises(InvalidInput, match="computed from the ballots"):
        consent_evidence({"households_consenting": 4}, result, **keys)


def test_the_readme_worked_example() -> None:
    homes = register((6000, 1), (6000, 1), (8000, 2), (10000, 2))
    major = tally(homes, votes(A, A, X, None), Rule.MAJOR)
    assert major.participation_ok and not major.approval_area_ok and not major.approval_owners_ok
    ordinary = tally(homes, votes(A, A, X, None), Rule.ORDINARY)
    assert ordinary.approval_area_ok and not ordinary.approval_owners_ok and not ordinary.passed
    changed = tally(homes, votes(A, A, A, None), Rule.MAJOR)
    assert changed.passed and (changed.participating.households, changed.agreeing.households) == (3, 3)


def test_a_ballot_nobody_cast_was_not_held_rather_than_failed() -> None:
    """No ballot (no register, or the consultation held on paper): Art. 278's
    arithmetic of nothing is "not passed", but nothing was decided — the outcome is
    "not held" and no condition failed. One ballot makes it a real ballot."""
    from accompany.models.consent import OUTCOME_LABELS, Outcome

    for homes in ({}, register((6000, 1), (6000, 1))):
        nothing = tally(homes, {}, Rule.MAJOR)
        assert not nothing.passed and not nothing.held
        assert nothing.outcome is Outcome.NOT_HELD and failed_conditions(nothing) == []
        assert OUTCOME_LABELS[nothing.outcome].zh == "未使用线上表决"
    one = tally(register((6000, 1), (6000, 1)), votes(D), Rule.MAJOR)
    assert one.held and one.outcome is Outcome.NOT_PASSED and failed_conditions(one)
    both = tally(register((6000, 1), (6000, 1)), votes(A, A), Rule.MAJOR)
    assert both.outcome is Outcome.PASSED and OUTCOME_LABELS[both.outcome].zh == "通过"
