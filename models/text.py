"""Text from people, as the domain checks it."""

from __future__ import annotations

#: the control characters a multi-line text from people may hold
LINE_BREAKS_AND_TABS = "\n\r\t"


def has_control_characters(text: str, allowed: str = "") -> bool:
    """Whether ``text`` holds a control character (C0 or DEL) other than ``allowed``:
    a NUL is refused by PostgreSQL and would be kept by SQLite, an escape sequence
    would reach terminals."""
    return any((ord(c) < 32 and c not in allowed) or c == "\x7f" for c in text)


#: the full-width forms of ASCII (ＡＢ３６－．) and the ideographic space, as ASCII
FULL_WIDTH = {0xFF01 + i: 0x21 + i for i in range(94)} | {0x3000: 0x20}


def as_typed_number(text: str) -> str:
    """A number as a person typed it, in the digits the checks read: full-width
    digits, signs and points from a Chinese keyboard (３０, －３, ５６．８) become ASCII;
    surrounding spaces go. Only the full-width forms: not NFKC, which would also read
    ① as 1 and 3² as 32."""
    return text.translate(FULL_WIDTH).strip()
