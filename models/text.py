"""Text from people, as the domain checks it."""

from __future__ import annotations

#: the control characters a multi-line text from people may hold
LINE_BREAKS_AND_TABS = "\n\r\t"


def has_control_characters(text: str, allowed: str = "") -> bool:
    """Whether ``text`` holds a control character (C0 or DEL) other than ``allowed``:
    a NUL is refused by PostgreSQL and would be kept by SQLite, an escape sequence
    would reach terminals."""
    return any((ord(c) < 32 and c not in allowed) or c == "\x7f" for c in text)
