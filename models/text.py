"""Text from people, as the domain checks it."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

#: the control characters a multi-line text from people may hold
LINE_BREAKS_AND_TABS = "\n\r\t"


#: the characters that reorder the text around them (bidirectional embeddings,
#: overrides and isolates): a name holding U+202E printed the page's own words around
#: it backwards (已通过 1/8 个阶段 read 段阶个 8/1 过通已)
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def has_control_characters(text: str, allowed: str = "") -> bool:
    """Whether ``text`` holds a control character (C0 or DEL) other than ``allowed``,
    or one of :data:`BIDI_CONTROLS`: a NUL is refused by PostgreSQL and would be kept
    by SQLite, an escape sequence would reach terminals."""
    return any((ord(c) < 32 and c not in allowed) or c == "\x7f" or c in BIDI_CONTROLS for c in text)


def is_blank(text: str) -> bool:
    """Whether ``text`` shows nothing: only spaces and invisible format characters
    (a zero-width space passed "required" and left a project without a visible name)."""
    return all(c.isspace() or unicodedata.category(c) == "Cf" for c in text)


#: the full-width forms of ASCII (ＡＢ３６－．) and the ideographic space, as ASCII
FULL_WIDTH = {0xFF01 + i: 0x21 + i for i in range(94)} | {0x3000: 0x20}


def half_width(text: str) -> str:
    """Text with the full-width forms of ASCII a Chinese keyboard types (５, Ａ, －) as
    ASCII: a home typed ５-１-１０１ is the home 5-1-101."""
    return text.translate(FULL_WIDTH)


def as_typed_number(text: str) -> str:
    """A number as a person typed it, in the digits the checks read: full-width
    digits, signs and points from a Chinese keyboard (３０, －３, ５６．８) become ASCII;
    surrounding spaces go. Only the full-width forms: not NFKC, which would also read
    ① as 1 and 3² as 32."""
    return half_width(text).strip()


def typed_whole_number(text: str, *, digits: int) -> int | None:
    """A whole number as typed (full-width digits too, a leading minus allowed, at
    most ``digits`` digits), or None when the text is not one. Its range is for the
    caller's rule to say."""
    typed = as_typed_number(text)
    return int(typed) if re.fullmatch(rf"-?[0-9]{{1,{digits}}}", typed) else None


class TableRow(list[Any]):
    """The cells of one data row read from a file, and the row's number as the person
    sees the file: the spreadsheet's row number, or the line a CSV record starts on
    (blank rows and line breaks inside cells make it differ from the row's index)."""

    def __init__(self, cells: Iterable[Any], number: int) -> None:
        super().__init__(cells)
        self.number = number


def row_number(cells: Sequence[Any], index: int) -> int:
    """The number a problem in data row ``index`` is told by: the row's own when it was
    read from a file, else counted as in a file with the header in row 1."""
    return cells.number if isinstance(cells, TableRow) else index + 2
