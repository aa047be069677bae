"""Numbers as people type them on a Chinese keyboard (full-width ３０, －３, ５６．８) are
read as numbers; a whole number below zero is told by its range, not as "not a whole
number"."""

from __future__ import annotations

import pytest

from accompany.i18n import error_text
from accompany.models.errors import InvalidInput
from accompany.models.evidence import parse_evidence
from accompany.models.households import parse_area, parse_owners
from accompany.models.template import coerce_parameter

from .world import template


def test_full_width_figures_are_read() -> None:
    spec = template().stage("needs-survey")
    assert parse_evidence(spec, {"households_interviewed": "３６"}) == {"households_interviewed": 36}
    assert coerce_parameter("households_interviewed_min", 30, "４０") == 40
    assert parse_owners("２") == 2
    assert parse_area("５６．８") == 5680


def test_a_negative_whole_number_is_told_by_its_range() -> None:
    with pytest.raises(InvalidInput) as caught:
        coerce_parameter("households_interviewed_min", 30, "-5")
    assert error_text(caught.value, "zh").endswith("不能小于 0，实际为 -5")
    with pytest.raises(InvalidInput) as caught:
        parse_owners("－1")
    assert "业主人数 -1 不在 1 到" in error_text(caught.value, "zh")
