"""One catalogue for every text people read: each message id in the code and the
templates has a Chinese translation, and the placeholders of each translation are
the message's own (a translation that drops or renames one would fail at run time)."""

from __future__ import annotations

import importlib.util
import string
from pathlib import Path

from accompany.i18n import catalogue, translate

ROOT = Path(__file__).resolve().parents[2]


def _tool():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("catalogue_tool", ROOT / "scripts" / "catalogue.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_has_a_chinese_translation() -> None:
    assert _tool().untranslated("zh") == []


def test_translations_keep_the_placeholders() -> None:
    wrong = {
        message: text
        for message, text in catalogue("zh").items()
        if not _fields(text) <= _fields(message) | {"stage_name"}  # a name may stand for an id
    }
    assert wrong == {}


def test_translate_fills_values_and_falls_back_to_english() -> None:
    assert translate("{days} working days left", "zh", days=3) == "剩 3 个工作日"
    assert translate("{days} working days left", "en", days=3) == "3 working days left"
    assert translate("a message nobody translated", "zh") == "a message nobody translated"
