"""People-facing text in the chosen language: one gettext catalogue for the whole
product, in ``locale/<lang>/LC_MESSAGES/messages.po`` (edited as .po files with
Babel's tools, read at run time by :func:`read_catalogue`; no compile step).
Message ids are English; ``zh`` is the default language and must translate every id
(a test extracts the ids from the code and the templates and checks the catalogue
has each).

Texts with values use named placeholders: ``_("{days} working days left", days=3)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

from .models.errors import AccompanyError, Coded, Edge, Localized, Phrase, Problem

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """msgid → translation for ``lang`` (empty for English, the source language)."""
    if lang == "en":
        return {}
    return read_catalogue(LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po")


_ESCAPE = re.compile(r'\\([\\trn"])')
_ESCAPED = {"n": "\n", "t": "\t", "r": "\r"}


def _unquote(line: str) -> str:
    """A quoted .po string's text (Babel's unescaping)."""
    return _ESCAPE.sub(lambda m: _ESCAPED.get(m.group(1), m.group(1)), line.strip()[1:-1])


def read_catalogue(path: Path) -> dict[str, str]:
    """msgid → translation of a .po file: every translated, non-fuzzy singular
    message. A small reader of the subset of the format the catalogue uses (what
    ``babel.messages.pofile.read_po`` gives for it, pinned by a unit test): importing
    Babel and its parser cost every CLI command ~0.1 s at start-up."""
    out: dict[str, str] = {}
    msgid: list[str] | None = None
    msgstr: list[str] | None = None
    current: list[str] | None = None
    fuzzy = plural = False

    def finish() -> None:
        if msgid is not None and msgstr is not None and not (fuzzy or plural):
            key, text = "".join(msgid), "".join(msgstr)
            if key and text:
                out[key] = text

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if msgstr is not None:  # a comment starts the next entry
                finish()
                msgid = msgstr = current = None
                fuzzy = plural = False
            if line.startswith("#,"):
                fuzzy = fuzzy or "fuzzy" in (flag.strip() for flag in line[2:].split(","))
            continue  # other comments, and obsolete entries (#~) as a whole
        if line.startswith("msgctxt") or line.startswith("msgid "):
            if msgstr is not None:
                finish()
                msgid = msgstr = None
                fuzzy = plural = False
            if line.startswith("msgctxt"):
                current = []
                continue
            msgid = current = [_unquote(line[len("msgid") :])]
        elif line.startswith("msgid_plural"):
            plural = True
            current = []
        elif line.startswith("msgstr"):
            text = line.split(None, 1)[1] if line.startswith("msgstr ") else line.split("]", 1)[1]
            if msgstr is None:
                msgstr = current = [_unquote(text)]
            else:
                current = []
        elif line.startswith('"') and current is not None:
            current.append(_unquote(line))
    finish()
    return out


def translate(msgid: str, lang: str, /, **values: object) -> str:
    """``msgid`` in ``lang`` (English when no translation exists), with
    ``{placeholders}`` filled from ``values``."""
    text = catalogue(lang).get(msgid, msgid) if lang != "en" else msgid
    if not values:
        return text
    try:
        return text.format_map(_Values(values))
    except (ValueError, IndexError):  # a malformed translation: the English text
        return msgid.format_map(_Values(values))


class _Values(dict):  # type: ignore[type-arg]
    """Placeholder values; one a text does not get is left as it is, never a crash."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def translator(lang: str) -> Callable[..., str]:
    def gettext(msgid: str, /, **values: object) -> str:
        return translate(msgid, lang, **values)

    return gettext


def normalise_language(value: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    return value if value in LANGUAGES else default


def error_text(error: AccompanyError, lang: str, edge: Edge = "cli") -> str:
    """A refusal in the reader's language: its template translated, its values
    filled (names in that language), its problems listed — each in the words of the
    ``edge`` it is read at (a problem that tells how to act names that edge's means:
    see :attr:`Problem.at_edge`)."""
    values = {key: _value(value, lang, edge) for key, value in error.values.items()}
    if error.problems:
        separator = "；" if lang == "zh" else "; "
        # a problem said as a sentence of its own (请选择日期。) loses its stop in the list
        values["problems"] = separator.join(problem_text(p, lang, edge).rstrip("。.") for p in error.problems)
    return translate(error.template, lang, **values) if values else translate(error.template, lang)


def problem_text(problem: Problem, lang: str, edge: Edge = "cli") -> str:
    values = {key: _value(value, lang, edge) for key, value in problem.values.items()}
    return translate(problem.template_for(edge), lang, **values)


def _value(value: object, lang: str, edge: Edge) -> object:
    if isinstance(value, Coded):
        from .labels import label  # labels reads this module's translate

        return label(value.table, value.code, lang)
    if isinstance(value, Phrase):
        return translate(value.message, lang)
    if isinstance(value, Problem):  # a problem inside a message: a file's field and why
        return problem_text(value, lang, edge)
    return value.text(lang) if isinstance(value, Localized) else value
