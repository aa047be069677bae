"""Residents' satisfaction survey after the renovation (问效, ``models.satisfaction``).

One answer per household of the register: a score of 1–5 (非常不满意 … 非常满意)
on each of the ministry's three dimensions — 改造内容 (content), 改造过程 (process)
and 长效管理 (long-term management) — and an optional short comment. A later answer
of the same household replaces its earlier one while the survey is open.

The tally, with exact fractions: the average of each dimension over the households
that answered, the response rate against the register and the share of satisfied
households. A household is *satisfied* when the average of its three scores is at
least 4 (满意), i.e. its three scores add up to 12 or more.

Pure: no database, no clock.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from .consent import Channel
from .errors import N_, Conflict, InvalidInput, Localized, Refusals
from .states import ProjectStatus, StageState
from .text import LINE_BREAKS_AND_TABS, has_control_characters

LOWEST, HIGHEST = 1, 5
#: a household is satisfied when the average of its three scores reaches this
SATISFIED_AVERAGE = 4
#: the longest comment a household may leave
MAX_COMMENT = 500


class Dimension(StrEnum):
    CONTENT = "content"  # 改造内容
    PROCESS = "process"  # 改造过程
    MANAGEMENT = "management"  # 长效管理


DIMENSIONS = tuple(Dimension)

DIMENSION_LABELS = {
    Dimension.CONTENT: Localized("改造内容", "renovation content"),
    Dimension.PROCESS: Localized("改造过程", "renovation process"),
    Dimension.MANAGEMENT: Localized("长效管理", "long-term management"),
}
SCORE_LABELS = {
    1: Localized("非常不满意", "very dissatisfied"),
    2: Localized("不满意", "dissatisfied"),
    3: Localized("一般", "neutral"),
    4: Localized("满意", "satisfied"),
    5: Localized("非常满意", "very satisfied"),
}


@dataclass(frozen=True)
class Answer:
    """A household's answer: one score per dimension (1–5) and its comment, if any."""

    content: int
    process: int
    management: int
    comment: str | None = None

    def score(self, dimension: Dimension) -> int:
        return int(getattr(self, dimension.value))

    @property
    def total(self) -> int:
        return self.content + self.process + self.management


def parse_score(value: object, dimension: Dimension) -> int:
    """A score as typed or sent by a form: a whole number 1–5 (or its label, 满意).
    Anything else is refused, naming the dimension; nothing chosen is asked for
    (a range and an empty "got" would read as if something wrong had been sent)."""
    text = str(value if value is not None else "").strip()
    if not text:
        raise InvalidInput(
            "please give {dimension} a score", field=dimension.value, dimension=DIMENSION_LABELS[dimension]
        )
    for score, label in SCORE_LABELS.items():
        if text in (label.zh, label.en):
            return score
    if text.isascii() and text.isdigit() and len(text) <= 2 and LOWEST <= int(text) <= HIGHEST:
        return int(text)
    raise InvalidInput(
        "the score for {dimension} must be a whole number from 1 (very dissatisfied) to 5 "
        "(very satisfied), got '{value}'",
        field=dimension.value,
        dimension=DIMENSION_LABELS[dimension],
        value=text[:20],
    )


def check_comment(text: str | None) -> str | None:
    """The optional comment: trimmed, at most ``MAX_COMMENT`` characters, line breaks
    and tabs allowed but no other control character. Empty: None."""
    comment = (text or "").strip()
    if not comment:
        return None
    if len(comment) > MAX_COMMENT:
        # refused, not cut: the resident decides what to leave out
        raise InvalidInput(
            "{what} is too long: {length} characters (at most {limit})",
            field="comment",
            what=Localized("意见", "the comment"),
            length=len(comment),
            limit=MAX_COMMENT,
        )
    if has_control_characters(comment, LINE_BREAKS_AND_TABS):
        raise InvalidInput("the comment holds a control character", field="comment")
    return comment


def make_answer(content: object, process: object, management: object, comment: str | None = None) -> Answer:
    """An answer from what was typed: each score and the comment checked, every
    problem told at once."""
    refusals = Refusals()
    typed = (content, process, management)
    scores = [refusals.check(parse_score, value, d) for value, d in zip(typed, DIMENSIONS, strict=True)]
    checked = refusals.check(check_comment, comment)
    refusals.raise_any()
    return Answer(*(s or 0 for s in scores), comment=checked)


def is_satisfied(answer: Answer) -> bool:
    """满意: the average of the household's three scores is at least 4 (their sum is
    at least 12); e.g. 4/4/4 and 5/4/3 are satisfied, 5/5/1 is not."""
    return Fraction(answer.total, len(DIMENSIONS)) >= SATISFIED_AVERAGE


# -- the tally --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyTally:
    """The survey's aggregates: households in the register, households that answered,
    the sum of each dimension's scores and how many households are satisfied."""

    register: int
    respondents: int
    sums: Mapping[Dimension, int]
    satisfied: int

    def average(self, dimension: Dimension) -> Fraction | None:
        """The dimension's average score; None without answers."""
        return Fraction(self.sums[dimension], self.respondents) if self.respondents else None

    @property
    def response_rate(self) -> Fraction | None:
        """Households that answered per household of the register; None for an empty register."""
        return Fraction(self.respondents, self.register) if self.register else None

    @property
    def satisfied_share(self) -> Fraction | None:
        """Satisfied households per household that answered; None without answers."""
        return Fraction(self.satisfied, self.respondents) if self.respondents else None

    @property
    def satisfaction_pct(self) -> float | None:
        """The satisfied share in percent, rounded to one decimal (the stage's evidence)."""
        share = self.satisfied_share
        return None if share is None else round_pct(share)


def round_pct(share: Fraction) -> float:
    """A share in percent to one decimal, halves rounded up (2/3 → 66.7, 1/8 → 12.5)."""
    tenths = share * 1000
    whole = tenths.numerator // tenths.denominator
    if (tenths - whole) * 2 >= 1:
        whole += 1
    return whole / 10


def tally(register: Collection[str], answers: Mapping[str, Answer]) -> SurveyTally:
    """Count ``answers`` (household key → answer) against ``register`` (household
    keys). An answer of a household no longer in the register is not counted; each
    household counts once (its latest answer is the one in ``answers``)."""
    counted = [answers[key] for key in register if key in answers]
    sums = {d: sum(a.score(d) for a in counted) for d in DIMENSIONS}
    return SurveyTally(len(register), len(counted), sums, sum(1 for a in counted if is_satisfied(a)))


# -- answering ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Given:
    """What giving an answer did: the household's earlier answer when this one
    replaces it (None: its first)."""

    household: str
    answer: Answer
    channel: Channel
    replaced: Answer | None

    @property
    def is_replacement(self) -> bool:
        return self.replaced is not None


def give(answers: dict[str, Answer], household: str, answer: Answer, channel: Channel) -> Given:
    """Put a household's answer in ``answers`` (changed in place): a second answer of
    the same household replaces its earlier one, so each household counts once."""
    previous = answers.get(household)
    answers[household] = answer
    return Given(household, answer, channel, previous)


def survey_open(stage_state: StageState, project_status: ProjectStatus) -> bool:
    """Answers are taken while the survey's stage is in progress on a running
    project; once it is marked done or approved (or the project is suspended,
    cancelled or completed) the survey is closed."""
    return stage_state is StageState.IN_PROGRESS and project_status is ProjectStatus.ACTIVE


class SurveyClosed(Conflict):
    """An answer after the survey's stage left "in progress"."""

    def __init__(self, stage_name: Localized):
        super().__init__(N_("the satisfaction survey of {stage_name} is closed"), stage_name=stage_name)


# -- the stage's evidence ------------------------------------------------------------------------------


def satisfaction_evidence(
    typed: Mapping[str, object],
    result: SurveyTally,
    *,
    respondents_key: str,
    satisfied_key: str,
    labels: Mapping[str, Localized] | None = None,
) -> dict[str, int | float]:
    """The stage's evidence as the answers show it: the households that answered and
    the satisfied share in percent (one decimal). A typed figure that differs is
    refused (the planner cannot enter a satisfaction the answers don't show); the
    same figure is accepted."""
    computed: dict[str, int | float] = {respondents_key: result.respondents}
    if result.satisfaction_pct is not None:
        computed[satisfied_key] = result.satisfaction_pct
    differing = Refusals()  # both figures told at once, each next to its field
    for key, value in computed.items():
        given = typed.get(key)
        if given is None:
            continue
        try:
            same = round(float(str(given)), 1) == value
        except ValueError:
            same = False
        if not same:
            differing.errors.append(
                InvalidInput(
                    "evidence {key} is computed from the residents' answers ({computed}); "
                    "the typed {value} differs",
                    field=f"evidence.{key}",
                    key=(labels or {}).get(key, key),
                    computed=value,
                    value=str(given)[:20],
                )
            )
    differing.raise_any()
    return computed


def answer_summary(answer: Answer) -> dict[str, int | bool]:
    """An answer as the audit log keeps it: the three scores and whether there is a
    comment — never the comment itself."""
    return {
        "content": answer.content,
        "process": answer.process,
        "management": answer.management,
        "comment": answer.comment is not None,
    }


def survey_summary(result: SurveyTally) -> dict[str, object]:
    """The tally as the stage's submission keeps it (and the quarterly report reads
    it): counts and the sum of each dimension's scores — no household, no comment."""
    return {
        "households": result.register,
        "respondents": result.respondents,
        "satisfied": result.satisfied,
        "sums": {d.value: result.sums[d] for d in DIMENSIONS},
    }
