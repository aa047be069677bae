"""Templates are validated on load: an invalid one is refused with field and reason."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from accompany.models.errors import InvalidInput
from accompany.models.template import build_template, coerce_parameter

from .world import TEMPLATE_BODY


def body(**changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(TEMPLATE_BODY)
    document.update(changes)
    return document


def stage(document: dict[str, Any], stage_id: str) -> dict[str, Any]:
    return next(s for s in document["stages"] if s["id"] == stage_id)


def test_default_template_matches_the_design_table() -> None:
    template = build_template(TEMPLATE_BODY)
    assert template.stage_ids == (
        "needs-survey",
        "needs-list",
        "design-proposal",
        "plan-presentation",
        "resident-consent",
        "construction-accompany",
        "completion-acceptance",
        "post-evaluation",
    )
    assert [s.phase for s in template.stages] == ["before"] * 2 + ["during"] * 4 + ["after"] * 2
    assert [level.value for level in template.stage("completion-acceptance").approval] == [
        "street-office",
        "district",
    ]
    assert [level.value for level in template.stage("post-evaluation").approval] == ["district"]
    assert template.stage("needs-survey").field("households_interviewed").min == 30
    assert template.stage("plan-presentation").deadline.notice_calendar_days == 7
    assert template.stage("post-evaluation").deadline.approved_stage == "completion-acceptance"


def refused(document: dict[str, Any], *fragments: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        build_template(document, source="template file t.yaml")
    message = str(caught.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


def test_bad_working_days() -> None:
    document = body()
    stage(document, "needs-list")["deadline"] = {"working_days": 0}
    refused(document, "stages[1].deadline.working_days", "greater than 0")


def test_two_deadline_measures() -> None:
    document = body()
    stage(document, "needs-list")["deadline"] = {"working_days": 3, "calendar_days": 4}
    refused(document, "stages[1].deadline", "exactly one of")


def test_unknown_anchor() -> None:
    document = body()
    stage(document, "needs-list")["deadline"] = {"working_days": 3, "from": "yesterday"}
    refused(document, "'yesterday' is not one of")


def test_anchor_must_be_a_dependency() -> None:
    document = body()
    stage(document, "needs-list")["deadline"] = {"working_days": 3, "from": "approved:post-evaluation"}
    refused(document, "approved:post-evaluation must name a stage it depends on")


def test_dependency_on_a_later_stage() -> None:
    document = body()
    stage(document, "needs-survey")["depends_on"] = ["needs-list"]
    refused(document, "depends_on 'needs-list' must name an earlier stage")


def test_unknown_phase_and_field_typos() -> None:
    document = body()
    stage(document, "needs-list")["phase"] = "sometime"
    refused(document, "unknown phase 'sometime'")
    document = body()
    stage(document, "needs-list")["aproval"] = ["street-office"]
    refused(document, "aproval", "Extra inputs are not permitted")


def test_unknown_approval_level() -> None:
    document = body()
    stage(document, "needs-list")["approval"] = ["mayor"]
    refused(document, "approval[0]", "street-office")


def test_check_must_reference_numeric_evidence() -> None:
    document = body()
    stage(document, "resident-consent")["checks"][0]["numerator"] = "nothing"
    refused(document, "refers to 'nothing'")


def test_unknown_parameter_reference() -> None:
    document = body()
    stage(document, "needs-survey")["evidence"][0]["min"] = "${typo}"
    refused(document, "unknown parameter 'typo'")


def test_parameter_overrides_are_typed() -> None:
    assert coerce_parameter("n", 30, "40") == 40
    assert coerce_parameter("r", "2/3", "3/4") == "3/4"
    with pytest.raises(InvalidInput, match="parameter n: expected a whole number, got 'many'"):
        coerce_parameter("n", 30, "many")
    with pytest.raises(InvalidInput, match="unknown template parameter 'nope'"):
        build_template(TEMPLATE_BODY, {"nope": 1})


def test_reminder_ladder_must_go_up() -> None:
    refused(body(reminders={"escalate_street_office_after": 5, "escalate_district_after": 3}), "later than")


def test_not_a_mapping() -> None:
    with pytest.raises(InvalidInput, match="mapping"):
        build_template(["a"])  # type: ignore[arg-type]
