"""Residents' consent ballots and the Civil Code's Art. 278 arithmetic.

One ballot per household of the register (all of its owners answer together):
agree, disagree or abstain. A household that cast a ballot *participates*, with its
floor area and its owners; abstaining is participating without approving.

Art. 278 (民法典第二百七十八条), with exact fractions:

- participation: the participating households hold **≥ 2/3 of the total floor area
  and ≥ 2/3 of all owners** (the base is the whole register);
- approval, "major" rule (改建、重建建筑物及其附属设施, changes to shared parts):
  **≥ 3/4 of the participating area and ≥ 3/4 of the participating owners** agree;
- approval, "ordinary" rule (other matters): **more than 1/2 of the participating
  area and more than 1/2 of the participating owners** agree.

Area and heads both count: failing either one fails the step. Pure: no database,
no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from .errors import N_, Conflict, InvalidInput, Localized
from .states import ProjectStatus, StageState

PARTICIPATION = Fraction(2, 3)


class Rule(StrEnum):
    MAJOR = "major"  # 改建/重建, changes to shared parts: ≥ 3/4
    ORDINARY = "ordinary"  # other matters: > 1/2


class Choice(StrEnum):
    AGREE = "agree"
    DISAGREE = "disagree"
    ABSTAIN = "abstain"


class Channel(StrEnum):
    PUBLIC = "public"  # cast by the resident on the public page
    PAPER = "paper"  # a paper ballot recorded by the planner or a coordinator (代录)


RULE_LABELS = {
    Rule.MAJOR: Localized("重大事项（双四分之三）", "major matter (3/4 of area and owners)"),
    Rule.ORDINARY: Localized("一般事项（双过半）", "ordinary matter (more than 1/2 of area and owners)"),
}
CHOICE_LABELS = {
    Choice.AGREE: Localized("同意", "agree"),
    Choice.DISAGREE: Localized("不同意", "disagree"),
    Choice.ABSTAIN: Localized("弃权", "abstain"),
}
VERDICT_LABELS = {True: Localized("通过", "passed"), False: Localized("未通过", "not passed")}


class Outcome(StrEnum):
    """What a consent stage's online ballot came to. ``NOT_HELD``: no household cast
    a ballot (no register, or the consultation was held on paper and its result typed
    as the stage's evidence) — the ballot neither passed nor failed."""

    NOT_HELD = "not_held"
    PASSED = "passed"
    NOT_PASSED = "not_passed"


OUTCOME_LABELS = {
    Outcome.NOT_HELD: Localized("未使用线上表决", "no online ballot"),
    Outcome.PASSED: VERDICT_LABELS[True],
    Outcome.NOT_PASSED: VERDICT_LABELS[False],
}


def approval_met(part: Fraction, whole: Fraction, rule: Rule) -> bool:
    """Whether ``part`` of ``whole`` is enough under ``rule``: ≥ 3/4 (major) or
    strictly > 1/2 (ordinary). Nothing of nothing is never enough."""
    if whole <= 0:
        return False
    share = Fraction(part) / Fraction(whole)
    return share >= Fraction(3, 4) if rule is Rule.MAJOR else share > Fraction(1, 2)


def participation_met(part: Fraction, whole: Fraction) -> bool:
    """≥ 2/3 of the whole register (area or owners); an empty register never is."""
    return whole > 0 and Fraction(part) / Fraction(whole) >= PARTICIPATION


@dataclass(frozen=True)
class Home:
    """What Art. 278 counts of a household: its floor area (hundredths of m²) and
    its number of owners."""

    area_centi: int
    owners: int


@dataclass(frozen=True)
class Count:
    """Households, owners and floor area (hundredths of m²) of a group."""

    households: int = 0
    owners: int = 0
    area_centi: int = 0

    def add(self, home: Home) -> Count:
        return Count(self.households + 1, self.owners + home.owners, self.area_centi + home.area_centi)

    @property
    def area(self) -> Fraction:
        return Fraction(self.area_centi, 100)


@dataclass(frozen=True)
class Tally:
    """The result of a ballot under ``rule``: the register's totals, who took part,
    who agreed, and each of the four conditions separately."""

    rule: Rule
    total: Count
    participating: Count
    agreeing: Count
    disagreeing: Count
    abstaining: Count

    @property
    def participation_area_ok(self) -> bool:
        return participation_met(Fraction(self.participating.area_centi), Fraction(self.total.area_centi))

    @property
    def participation_owners_ok(self) -> bool:
        return participation_met(Fraction(self.participating.owners), Fraction(self.total.owners))

    @property
    def approval_area_ok(self) -> bool:
        return approval_met(
            Fraction(self.agreeing.area_centi), Fraction(self.participating.area_centi), self.rule
        )

    @property
    def approval_owners_ok(self) -> bool:
        return approval_met(Fraction(self.agreeing.owners), Fraction(self.participating.owners), self.rule)

    @property
    def participation_ok(self) -> bool:
        return self.participation_area_ok and self.participation_owners_ok

    @property
    def approval_ok(self) -> bool:
        return self.approval_area_ok and self.approval_owners_ok

    @property
    def passed(self) -> bool:
        """通过: enough took part (area and owners) and enough of them agreed (area
        and owners)."""
        return self.participation_ok and self.approval_ok

    @property
    def ballots(self) -> int:
        return self.participating.households

    @property
    def held(self) -> bool:
        """Whether a ballot ran at all: at least one household of the register cast
        one. Without any, nothing was decided online (the Art. 278 arithmetic of
        nothing is "not passed", which would read as the residents' refusal)."""
        return self.ballots > 0

    @property
    def outcome(self) -> Outcome:
        """未使用线上表决 when no ballot was cast, else 通过 / 未通过 under Art. 278."""
        if not self.held:
            return Outcome.NOT_HELD
        return Outcome.PASSED if self.passed else Outcome.NOT_PASSED


def tally(register: Mapping[str, Home], ballots: Mapping[str, Choice], rule: Rule) -> Tally:
    """Count ``ballots`` (household key → choice) against ``register`` (household key
    → home). A ballot of a household no longer in the register is not counted; each
    household counts once (its latest ballot is the one in ``ballots``)."""
    total = participating = agreeing = disagreeing = abstaining = Count()
    for key, home in register.items():
        total = total.add(home)
        choice = ballots.get(key)
        if choice is None:
            continue
        participating = participating.add(home)
        if choice is Choice.AGREE:
            agreeing = agreeing.add(home)
        elif choice is Choice.DISAGREE:
            disagreeing = disagreeing.add(home)
        else:
            abstaining = abstaining.add(home)
    return Tally(rule, total, participating, agreeing, disagreeing, abstaining)


# -- the ballot box -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cast:
    """What casting a ballot did: the household's previous choice when this one
    replaces it (None: its first ballot)."""

    household: str
    choice: Choice
    channel: Channel
    replaced: Choice | None

    @property
    def is_replacement(self) -> bool:
        return self.replaced is not None


def cast(ballots: dict[str, Choice], household: str, choice: Choice, channel: Channel) -> Cast:
    """Put a household's ballot in ``ballots`` (changed in place): a second ballot of
    the same household replaces its earlier one, so each household counts once."""
    previous = ballots.get(household)
    ballots[household] = choice
    return Cast(household, choice, channel, previous)


def parse_choice(text: str) -> Choice:
    """agree/disagree/abstain as typed (or 同意/不同意/弃权)."""
    wanted = text.strip().lower()
    for choice, label in CHOICE_LABELS.items():
        if wanted in (choice.value, label.zh):
            return choice
    raise InvalidInput(
        "'{value}' is not a ballot choice (agree, disagree or abstain)", field="choice", value=text[:20]
    )


def ballot_open(stage_state: StageState, project_status: ProjectStatus) -> bool:
    """Ballots are taken while the consent stage is in progress on a running
    project; once it is marked done (or the project is suspended, cancelled or
    completed) the ballot is closed."""
    return stage_state is StageState.IN_PROGRESS and project_status is ProjectStatus.ACTIVE


class BallotClosed(Conflict):
    """A ballot after the consent stage left "in progress"."""

    def __init__(self, stage_name: Localized):
        super().__init__(N_("the ballot of {stage_name} is closed"), stage_name=stage_name)


# -- the stage's evidence ---------------------------------------------------------------------------


def consent_evidence(
    typed: Mapping[str, object],
    result: Tally,
    *,
    participating_key: str,
    approving_key: str,
    labels: Mapping[str, Localized] | None = None,
) -> dict[str, int]:
    """The consent stage's evidence as the ballots show it: the participating and
    the agreeing households. A typed figure that differs is refused (the planner
    cannot enter a consent the ballots don't show); the same figure is accepted."""
    computed = {participating_key: result.participating.households, approving_key: result.agreeing.households}
    for key, value in computed.items():
        given = typed.get(key)
        if given is not None and given != value:
            raise InvalidInput(
                "evidence {key} is computed from the ballots ({computed}); the typed {value} differs",
                field=f"evidence.{key}",
                key=(labels or {}).get(key, key),
                computed=value,
                value=str(given)[:20],
            )
    return computed


FAILED_LABELS = {
    "participation_area": Localized("参与表决的专有部分面积未达三分之二", "participation by area below 2/3"),
    "participation_owners": Localized("参与表决的业主人数未达三分之二", "participation by owners below 2/3"),
    "approval_area": Localized("同意的专有部分面积不足", "approving area short of the rule"),
    "approval_owners": Localized("同意的业主人数不足", "approving owners short of the rule"),
}


def failed_conditions(result: Tally) -> list[str]:
    """Which of the four conditions failed (keys of ``FAILED_LABELS``); empty when
    the ballot passed or was not held (no ballot cast: nothing failed)."""
    if not result.held:
        return []
    return [
        name
        for name, ok in (
            ("participation_area", result.participation_area_ok),
            ("participation_owners", result.participation_owners_ok),
            ("approval_area", result.approval_area_ok),
            ("approval_owners", result.approval_owners_ok),
        )
        if not ok
    ]


def consent_summary(result: Tally) -> dict[str, object]:
    """The tally as the audit log keeps it: counts only, no household."""
    return {
        "rule": result.rule.value,
        "households": result.total.households,
        "participating": result.participating.households,
        "agreeing": result.agreeing.households,
        "participating_owners": result.participating.owners,
        "agreeing_owners": result.agreeing.owners,
        "total_owners": result.total.owners,
        "participating_area_centi": result.participating.area_centi,
        "agreeing_area_centi": result.agreeing.area_centi,
        "total_area_centi": result.total.area_centi,
        "passed": result.passed,
    }
