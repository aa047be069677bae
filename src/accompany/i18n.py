"""People-facing text in the chosen language: one gettext catalogue for the whole
product, in ``locale/<lang>/LC_MESSAGES/messages.po`` (edited as .po files, read
with Babel; no compile step). Message ids are English; ``zh`` is the default
language and must translate every id (a test extracts the ids from the code and the
templates and checks the catalogue has each).

Texts with values use named placeholders: ``_("{days} working days left", days=3)``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from .models.errors import AccompanyError, Localized, Problem

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """msgid → translation for ``lang`` (empty for English, the source language)."""
    if lang == "en":
        return {}
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        parsed = read_po(handle, locale=lang)
    return {
        str(message.id): str(message.string)
        for message in parsed
        if message.id and isinstance(message.id, str) and message.string and not message.fuzzy
    }


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


def error_text(error: AccompanyError, lang: str) -> str:
    """A refusal in the reader's language: its template translated, its values
    filled (names in that language), its problems listed."""
    values = {key: _value(value, lang) for key, value in error.values.items()}
    if error.problems:
        separator = "；" if lang == "zh" else "; "
        values["problems"] = separator.join(problem_text(p, lang) for p in error.problems)
    return translate(error.template, lang, **values) if values else translate(error.template, lang)


def problem_text(problem: Problem, lang: str) -> str:
    values = {key: _value(value, lang) for key, value in problem.values.items()}
    return translate(problem.template, lang, **values)


def _value(value: object, lang: str) -> object:
    return value.text(lang) if isinstance(value, Localized) else value
