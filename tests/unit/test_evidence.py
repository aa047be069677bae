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
        ("needs-survey", {"households": "3"}, "unknown evidence 'households' for stage Needs survey"),
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
        "respondents (survey respondents) must be ≥ 30, got 12",
        "satisfaction_pct (satisfaction (%)) must be ≤ 100, got 101",
    ]


# Evidence that satisfies each stage, every number at its minimum (the template's defaults).
AT_MINIMUM = {
    "needs-survey": ({"households_interviewed": 30, "observation_days": 3}, {"problem_map"}),
    "needs-list": ({"needs_items": 1}, set()),
    "plan-presentation": ({"sessions_held": 1, "attendees": 0, "notice_days": 7, "objections": "无"}, set()),
    "post-evaluation": ({"respondents": 30, "satisfaction_pct": 0.0}, set()),
}
MINIMUMS = [
    ("needs-survey", "households_interviewed", "households interviewed", 30),
    ("needs-survey", "observation_days", "days of on-site observation", 3),
    ("needs-list", "needs_items", "items on the list of needs", 1),
    ("plan-presentation", "sessions_held", "presentation sessions held", 1),
    ("plan-presentation", "notice_days", "days of public notice", 7),
    ("post-evaluation", "respondents", "survey respondents", 30),
]


@pytest.mark.parametrize(("stage", "key", "label", "minimum"), MINIMUMS, ids=[m[1] for m in MINIMUMS])
def test_evidence_minimum_boundaries(stage: str, key: str, label: str, minimum: int) -> None:
    """min − 1 is refused, naming the key; min and min + 1 pass."""
    spec = TEMPLATE.stage(stage)
    values, attached = AT_MINIMUM[stage]
    assert spec.field(key).min == minimum

    def problems(value: int) -> list[str]:
        return evidence_problems(spec, {**values, key: value}, attached, None)

    assert problems(minimum - 1) == [f"{key} ({label}) must be ≥ {minimum}, got {minimum - 1}"]
    assert problems(minimum) == []
    assert problems(minimum + 1) == []


def test_evidence_maximum_boundary() -> None:
    spec = TEMPLATE.stage("post-evaluation")
    for pct, expected in [
        (99.9, []),
        (100, []),
        (100.5, ["satisfaction_pct (satisfaction (%)) must be ≤ 100, got 100.5"]),
    ]:
        assert evidence_problems(spec, {"respondents": 30, "satisfaction_pct": pct}, set(), None) == expected


@pytest.mark.parametrize(
    ("open_days", "visits", "needed"),
    [
        (25, 2, 3),
        (25, 3, None),
        (25, 4, None),
        (30, 2, 3),
        (30, 3, None),
        (31, 3, 4),
        (31, 4, None),
        (0, 1, None),
    ],
)
def test_site_visits_per_ten_working_days(open_days: int, visits: int, needed: int | None) -> None:
    spec = TEMPLATE.stage("construction-accompany")
    problems = evidence_problems(spec, {"site_visits": visits}, set(), open_days)
    if needed is None:
        assert problems == []
    else:
        assert problems == [
            f"现场陪伴频次: site_visits must be ≥ {needed} (one per 10 working days over "
            f"{open_days} working days), got {visits}"
        ]


def test_consent_ratio_uses_exact_fractions() -> None:
    spec = TEMPLATE.stage("resident-consent")

    def problems(surveyed: int, consenting: int) -> list[str]:
        values = {"households_surveyed": surveyed, "households_consenting": consenting}
        return evidence_problems(spec, values, set(), None)

    assert problems(90, 60) == []  # exactly 2/3
    assert problems(90, 61) == []
    assert problems(90, 59) == ["同意率: households_consenting/households_surveyed = 59/90 must be ≥ 2/3"]
    assert problems(0, 0) == [
        "households_surveyed (households surveyed) must be ≥ 1, got 0",
        "同意率: households_consenting/households_surveyed = 0/0 must be ≥ 2/3",
    ]


def test_problems_read_in_chinese_with_chinese_labels() -> None:
    from accompany.i18n import problem_text
    from accompany.models.evidence import evidence_shortfalls

    spec = TEMPLATE.stage("post-evaluation")
    shortfalls = evidence_shortfalls(spec, {"respondents": 12, "satisfaction_pct": 101.0}, set(), None)
    assert [(key, problem.field) for key, problem in shortfalls] == [
        ("respondents", "evidence.respondents"),
        ("satisfaction_pct", "evidence.satisfaction_pct"),
    ]
    assert [problem_text(problem, "zh") for _, problem in shortfalls] == [
        "「调查样本数」不能少于 30，实际 12",
        "「满意度（%）」不能超过 100，实际 101",
    ]


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        ("36", 36),
        ("+36", 36),
        ("３６", 36),  # a Chinese keyboard's full-width digits
        ("3²", None),
        ("①", None),
        ("1_000", None),
        ("36.0", None),
        ("9" * 16, None),
        ("2000000", None),
    ],
)
def test_whole_numbers_are_ascii_digits_within_bounds(text: str, accepted: int | None) -> None:
    spec = TEMPLATE.stage("needs-survey")
    if accepted is None:
        with pytest.raises(InvalidInput, match="households_interviewed"):
            parse_evidence(spec, {"households_interviewed": text})
    else:
        assert parse_evidence(spec, {"households_interviewed": text}) == {"households_interviewed": accepted}


def test_evidence_keys_may_be_labels_but_not_twice() -> None:
    spec = TEMPLATE.stage("needs-survey")
    assert parse_evidence(spec, {"入户访谈户数": "36"}) == {"households_interviewed": 36}
    with pytest.raises(InvalidInput, match="given twice"):
        parse_evidence(spec, {"入户访谈户数": "36", "households_interviewed": "37"})
