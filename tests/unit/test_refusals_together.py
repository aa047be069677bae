"""A form's own refusals told with what the rules would refuse of the rest
(``models.errors.together``): one answer, each problem once, by its field."""

from __future__ import annotations

from accompany.models.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
    Problem,
    RuleViolation,
    SeveralInvalid,
    together,
)

TOO_LONG = InvalidInput("note too long", field="note")


def test_the_rules_problems_join_the_forms_each_field_once() -> None:
    rule = RuleViolation(
        "cannot be done: {problems}",
        problems=[Problem("note", "note has control characters", {}), Problem("evidence.x", "missing x", {})],
    )
    told = together([TOO_LONG], rule)
    assert isinstance(told, SeveralInvalid)
    assert [(p.field, p.template) for p in told.problems] == [
        ("note", "note too long"),
        ("evidence.x", "missing x"),
    ]


def test_a_refusal_about_no_field_is_told_alone_and_one_about_a_field_joins() -> None:
    denied = PermissionDenied("only the planner")
    assert together([TOO_LONG], denied) is denied
    unknown = NotFound("no person '{who}'", field="planner", who="x")
    told = together([TOO_LONG], unknown)
    assert [p.field for p in told.problems] == ["note", "planner"]


def test_nothing_more_from_the_rules_leaves_the_forms_own_refusal() -> None:
    assert together([TOO_LONG], None) is TOO_LONG
    assert together([TOO_LONG], InvalidInput("again", field="note")) is TOO_LONG


def test_problems_resting_on_a_stand_in_are_left_out() -> None:
    rule = InvalidInput("deadline before the start", field="deadline.x")
    assert together([TOO_LONG], rule, unsure=("deadline.",)) is TOO_LONG
