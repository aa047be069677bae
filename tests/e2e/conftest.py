"""The CLI tests read English by default (they were written against the English
lines); tests marked ``zh`` read the default language, Chinese."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def english_unless_marked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("zh") is None:
        monkeypatch.setenv("ACCOMPANY_LANGUAGE", "en")
    else:
        monkeypatch.delenv("ACCOMPANY_LANGUAGE", raising=False)
