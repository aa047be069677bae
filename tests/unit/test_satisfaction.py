"""The satisfaction survey's arithmetic (问效): scores 1–5 on three dimensions, the
average per dimension, the response rate against the register and the satisfied
share (a household's average ≥ 4) — each boundary exactly; a later answer replaces
the earlier one; the stage's evidence follows the answers."""

from __future__ import annotations

import copy
from fractions import Fraction

import pytest
import yaml

from accompany.config.settings import BUILTIN_TEMPLATES
from accompany.models.consent import Channel
from accompany.models.errors import InvalidInput
from accompany.models.satisfaction import (
    MAX_COMMENT,
    Answer,
    Dimension,
    check_comment,
    give,
    is_satisfied,
    make_answer,
    parse_score,
    round_pct,
    satisfaction_evidence,
    survey_open,
    tally,
)
from accompany.models.states import ProjectStatus, StageState
from accompany.models.template import build_template

from .test_template import body, refused, stage

SURVEYED = yaml.safe_load((BUILTIN_TEMPLATES / "accompany-service-v2.yaml").read_text("utf-8"))


def test_a_household_is_satisfied_when_its_average_reaches_four() -> None:
    assert is_satisfied(Answer(4, 4, 4))  # exactly 4
    assert is_satisfied(Answer(5, 4, 3))  # 12 / 3 = 4
    assert not is_satisfied(Answer(5, 5, 1))  # 11 / 3 < 4
    assert not is_satisfied(Answer(4, 4, 3))
    assert is_satisfied(Answer(5, 5, 5))


def test_scores_are_whole_numbers_one_to_five() -> None:
    assert [parse_score(v, Dimension.CONTENT) for v in (1, "5", " 3 ", "满意", "very dissatisfied")] == [
        1,
        5,
        3,
        4,
        1,
    ]
    for bad in (0, 6, "4.5", "-1", "05x", "٣", "10"):
        with pytest.raises(InvalidInput, match="whole number from 1") as caught:
            parse_score(bad, Dimension.PROCESS)
        assert caught.value.field == "process"


def test_a_score_not_chosen_is_asked_for_not_said_out_of_range() -> None:
    from accompany.i18n import error_text

    for nothing in ("", None, "  "):
        with pytest.raises(InvalidInput) as caught:
            parse_score(nothing, Dimension.PROCESS)
        assert caught.value.field == "process"
        assert error_text(caught.value, "zh") == "请为改造过程打分"
        assert error_text(caught.value, "en") == "please give renovation process a score"


def test_an_answer_is_refused_with_every_problem_at_once() -> None:
    with pytest.raises(InvalidInput) as caught:
        make_answer("0", "4", "", "a\x00b")
    assert [p.field for p in caught.value.problems] == ["content", "management", "comment"]
    assert str(caught.value).startswith("3 things to correct: the score for renovation content")
    with pytest.raises(InvalidInput) as one:  # a single problem is told as it is
        make_answer("4", "9", "4")
    assert one.value.field == "process" and not one.value.problems


def test_comments_are_short_and_without_control_characters() -> None:
    assert check_comment("  ") is None and check_comment(None) is None
    assert check_comment(" 很好\n谢谢\t! ") == "很好\n谢谢\t!"
    assert check_comment("长" * MAX_COMMENT) == "长" * MAX_COMMENT
    with pytest.raises(InvalidInput, match="at most 500"):
        check_comment("长" * (MAX_COMMENT + 1))
    for bad in ("a\x00b", "a\x1b[2Jb", "a\x7fb"):
        with pytest.raises(InvalidInput, match="control character"):
            check_comment(bad)


def test_the_tally_averages_each_dimension_against_the_register() -> None:
    answers = {"a": Answer(5, 4, 3), "b": Answer(4, 4, 4), "c": Answer(1, 2, 3), "gone": Answer(5, 5, 5)}
    result = tally(["a", "b", "c", "d", "e", "f"], answers)
    assert (result.register, result.respondents, result.satisfied) == (6, 3, 2)  # "gone" left the register
    assert result.average(Dimension.CONTENT) == Fraction(10, 3)
    assert result.average(Dimension.PROCESS) == Fraction(10, 3)
    assert result.average(Dimension.MANAGEMENT) == Fraction(10, 3)
    assert result.response_rate == Fraction(1, 2) and result.satisfied_share == Fraction(2, 3)
    assert result.satisfaction_pct == 66.7


def test_without_answers_or_register_there_is_nothing_to_divide() -> None:
    empty = tally([], {})
    assert empty.response_rate is None and empty.satisfied_share is None and empty.satisfaction_pct is None
    assert empty.average(Dimension.CONTENT) is None
    assert tally(["a"], {}).response_rate == 0


def test_percent_rounds_halves_up() -> None:
    assert [
        round_pct(f) for f in (Fraction(2, 3), Fraction(1, 8), Fraction(1, 3), Fraction(1), Fraction(0))
    ] == [
        66.7,
        12.5,
        33.3,
        100.0,
        0.0,
    ]
    assert round_pct(Fraction(1, 2000)) == 0.1  # 0.05 % rounds up
    assert round_pct(Fraction(1, 2001)) == 0.0


def test_a_later_answer_replaces_the_earlier_one() -> None:
    box: dict[str, Answer] = {}
    first = give(box, "a", make_answer(1, 1, 1), Channel.PUBLIC)
    assert not first.is_replacement
    second = give(box, "a", make_answer("5", "5", "5", "改了"), Channel.PAPER)
    assert second.replaced == Answer(1, 1, 1) and second.is_replacement
    result = tally(["a", "b"], box)
    assert (result.respondents, result.satisfied, result.sums[Dimension.CONTENT]) == (1, 1, 5)


def test_the_survey_is_open_while_its_stage_is_in_progress() -> None:
    assert survey_open(StageState.IN_PROGRESS, ProjectStatus.ACTIVE)
    for state in (StageState.PENDING, StageState.SUBMITTED, StageState.APPROVED):
        assert not survey_open(state, ProjectStatus.ACTIVE)
    assert not survey_open(StageState.IN_PROGRESS, ProjectStatus.SUSPENDED)


def test_the_evidence_follows_the_answers() -> None:
    result = tally(["a", "b", "c"], {"a": Answer(4, 4, 4), "b": Answer(3, 3, 3), "c": Answer(5, 5, 5)})
    keys = {"respondents_key": "respondents", "satisfied_key": "satisfaction_pct"}
    assert satisfaction_evidence({}, result, **keys) == {"respondents": 3, "satisfaction_pct": 66.7}
    assert satisfaction_evidence({"respondents": 3, "satisfaction_pct": 66.7}, result, **keys)
    assert satisfaction_evidence({"satisfaction_pct": 66.66}, result, **keys)  # the same to one decimal
    for typed in ({"respondents": 4}, {"satisfaction_pct": 70}, {"satisfaction_pct": "many"}):
        with pytest.raises(InvalidInput, match="computed from the residents' answers"):
            satisfaction_evidence(typed, result, **keys)
    # both figures wrong: both told at once, each with its field (one a round before)
    with pytest.raises(InvalidInput) as both:
        satisfaction_evidence({"respondents": 5, "satisfaction_pct": -5}, result, **keys)
    assert both.value.fields == ("evidence.respondents", "evidence.satisfaction_pct")


def test_the_template_declares_the_survey_on_a_stage_with_its_evidence() -> None:
    # version 1 (projects already use it) stays as it was; version 2 adds the survey
    assert all(s.satisfaction is None for s in build_template(body()).stages)
    template = build_template(SURVEYED)
    spec = template.stage("post-evaluation").satisfaction
    assert spec is not None and (spec.respondents, spec.satisfied) == ("respondents", "satisfaction_pct")
    assert template.version == 2 and [s.id for s in template.stages if s.satisfaction] == ["post-evaluation"]
    document = copy.deepcopy(SURVEYED)
    stage(document, "post-evaluation")["satisfaction"] = {"respondents": "evaluation_report"}
    refused(document, "satisfaction refers to 'evaluation_report'")
    document = copy.deepcopy(SURVEYED)
    stage(document, "needs-list")["satisfaction"] = {}
    refused(document, "satisfaction refers to 'respondents'")
    document = copy.deepcopy(SURVEYED)
    stage(document, "post-evaluation")["satisfaction"] = {"rule": "x"}
    refused(document, "rule")
