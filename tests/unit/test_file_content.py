"""An evidence file is checked against its name: an empty one is told as empty (a
0-byte 问题地图.pdf read "the content is not a .pdf file (its first bytes say
otherwise)", which sent the planner looking for a wrong format)."""

from __future__ import annotations

import pytest

from accompany.models.errors import InvalidInput
from accompany.models.files import check_file_content


@pytest.mark.parametrize("name", ["问题地图.pdf", "记录.txt", "照片.jpg"])
def test_an_empty_file_is_told_as_empty(name: str) -> None:
    with pytest.raises(InvalidInput, match="the file is empty") as refused:
        check_file_content(name, b"", field="attach.problem_map")
    assert refused.value.field == "attach.problem_map" and name in str(refused.value)


def test_a_file_with_content_is_checked_as_before() -> None:
    assert check_file_content("问题地图.pdf", b"%PDF-1.4 map") == ".pdf"
    with pytest.raises(InvalidInput, match="first bytes say otherwise"):
        check_file_content("问题地图.pdf", b"GIF89a")
