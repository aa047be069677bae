"""The catalogue's own .po reader gives what Babel's read_po gives (the CLI no
longer imports Babel at start-up to read it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from accompany.i18n import LANGUAGES, LOCALE_DIR, read_catalogue


def babel_catalogue(path: Path) -> dict[str, str]:
    with path.open("rb") as handle:
        parsed = read_po(handle, locale="zh")
    return {
        str(m.id): str(m.string)
        for m in parsed
        if m.id and isinstance(m.id, str) and m.string and not m.fuzzy
    }


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_shipped_catalogue_reads_as_babel_reads_it(lang: str) -> None:
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    assert read_catalogue(path) == babel_catalogue(path)


def test_the_formats_corners_read_as_babel_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "messages.po"
    path.write_text(
        """# header
#, fuzzy
msgid ""
msgstr ""
"Language: zh\\n"

msgid "plain"
msgstr "平"

#, python-brace-format
msgid "{n} days"
msgstr "{n} 天"

#, fuzzy, python-brace-format
msgid "guessed"
msgstr "猜的"

#: src/x.py:1
msgid ""
"long "
"text with \\"quotes\\", a \\\\ and\\ta tab\\n"
msgstr ""
"长"
"文本 \\"引号\\"\\n"

msgid "untranslated"
msgstr ""

msgctxt "menu"
msgid "open"
msgstr "打开"

msgid "one file"
msgid_plural "{n} files"
msgstr[0] "{n} 个文件"

#~ msgid "gone"
#~ msgstr "没了"

#, python-brace-format
msgid "after the obsolete one {x}"
msgstr "在后面 {x}"
""",
        encoding="utf-8",
    )
    mine = read_catalogue(path)
    assert mine == babel_catalogue(path)
    assert mine["plain"] == "平" and "guessed" not in mine and "untranslated" not in mine
    assert mine['long text with "quotes", a \\ and\ta tab\n'] == '长文本 "引号"\n'
    assert mine["after the obsolete one {x}"] == "在后面 {x}"
