"""Text from people that would mislead the page it is shown on: characters that
reorder the text around them, and text that shows nothing."""

from __future__ import annotations

import pytest

from accompany.models.errors import InvalidInput
from accompany.models.text import has_control_characters, is_blank

from .world import PEOPLE, at, new_project


@pytest.mark.parametrize("mark", ["\u202e", "\u202d", "\u2066", "\u2069"])
def test_characters_that_reorder_the_page_are_refused(mark: str) -> None:
    assert has_control_characters(f"abc{mark}exe.txt")
    project = new_project()
    with pytest.raises(InvalidInput, match="control characters"):
        project.cancel(PEOPLE["zhangl"], reason=f"abc{mark}exe.txt", now=at("2026-03-05T10:00"))


def test_a_zero_width_space_is_no_reason_and_no_name() -> None:
    assert is_blank("\u200b") and is_blank(" \u200b\ufeff ") and not is_blank("资金\u200b未到位")
    project = new_project()
    with pytest.raises(InvalidInput):
        project.cancel(PEOPLE["zhangl"], reason="\u200b", now=at("2026-03-05T10:00"))
    with pytest.raises(InvalidInput):
        project.edit(PEOPLE["zhangl"], name="\u200b", community=None, now=at("2026-03-05T10:00"))
