"""Typing and checking participation evidence."""

from __future__ import annotations

import pytest

from accompany.models.errors import InvalidInput
from accompany.models.evidence import evidence_problems, parse_evidence

from .world import template

TEMPLATE = template()


def test_values_are_typed_by_the_template() -> None:
    spec = TEMPLATE.stage("post-evaluation")
    assert parse_evidence(spec, {"respondents": " 64 ", "satisfaction_pct": "92.5%"}) == {
        "respondents": 64,
        "satisfaction_pct": 92.5,
    }
    spec = TEMPLATE.stage("construction-accompany")
    assert parse_evidence(spec, {"reception_point": "是"}) == {"reception_point": True}


@pytest.mark.parametrize(
    ("stage", "raw", "message"),
    [
        ("needs-survey", {"households": "3"}, "unknown evidence key 'households' for stage needs-survey"),
        ("needs-survey", {"households_interviewed": "thirty"}, "expected a whole number, got 'thirty'"),
        ("needs-survey", {"problem_map": "x.pdf"}, "is a file: give it with --attach problem_map=FILE"),
        ("needs-list", {"list_style": "列表"}, "'列表' is not one of 清单式, 菜单式"),
        ("post-evaluation", {"satisfaction_pct": "nan"}, "expected a number"),
        ("construction-accompany", {"reception_point": "maybe"}, "expected yes or no"),
    ],
)
def test_bad_values_are_named(stage: str, raw: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_evidence(TEMPLATE.stage(stage), raw)
    assert message in str(caught.value)


def test_bounds_and_missing() -> None:
    spec = TEMPLATE.stage("post-evaluation")
    problems = evidence_problems(spec, {"respondents": 12, "satisfaction_pct": 101.0}, set(), None)
    assert problems == [
        "respondents (调查样本数) must be ≥ 30, got 12",
        "satisfaction_pct (满意度（%）) must be ≤ 100, got 101",
    ]


def test_site_visits_per_ten_working_days() -> None:
    spec = TEMPLATE.stage("construction-accompany")
    assert evidence_problems(spec, {"site_visits": 3}, set(), 25) == []
    problems = evidence_problems(spec, {"site_visits": 2}, set(), 25)
    assert problems and "must be ≥ 3" in problems[0] and "over 25 working days" in problems[0]


def test_consent_ratio_uses_exact_fractions() -> None:
    spec = TEMPLATE.stage("resident-consent")
    assert (
        evidence_problems(spec, {"households_surveyed": 90, "households_consenting": 60}, set(), None) == []
    )
    assert evidence_problems(spec, {"households_surveyed": 0, "households_consenting": 0}, set(), None)
