"""Help texts in the chosen language. Typer reads them when the commands are
defined, so the language comes from ACCOMPANY_LANGUAGE at start-up (zh unless en)."""

from __future__ import annotations

import os

from ..i18n import normalise_language, translate

LANG = normalise_language(os.environ.get("ACCOMPANY_LANGUAGE", "").strip().lower() or None)


def T(message: str) -> str:
    """``message`` in the CLI's language (and marked for the catalogue)."""
    return translate(message, LANG)
