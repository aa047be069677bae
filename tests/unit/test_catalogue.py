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


def test_the_household_register_has_one_name() -> None:
    """住户名册 on the residents' pages, the coordinators' pages, the CLI and the
    README alike: one thing, one name (some messages said 住户台账)."""
    assert [text for text in catalogue("zh").values() if "台账" in text] == []
    assert translate("Household register", "zh") == translate("Register", "zh") == "住户名册"
    assert "台账" not in (ROOT / "README.md").read_text(encoding="utf-8")


def test_translate_fills_values_and_falls_back_to_english() -> None:
    assert translate("{days} working days left", "zh", days=3) == "剩 3 个工作日"
    assert translate("{days} working days left", "en", days=3) == "3 working days left"
    assert translate("a message nobody translated", "zh") == "a message nobody translated"
