"""Help texts in the chosen language. Typer reads them when the commands are
defined, so the language comes from ACCOMPANY_LANGUAGE at start-up (zh unless en)."""

from __future__ import annotations

import os
from typing import Any

from ..i18n import normalise_language, translate
from ..models.errors import N_

LANG = normalise_language(os.environ.get("ACCOMPANY_LANGUAGE", "").strip().lower() or None)


def T(message: str) -> str:
    """``message`` in the CLI's language (and marked for the catalogue)."""
    return translate(message, LANG)


#: the words Typer writes itself around our help texts ("Options", "[required]" …),
#: through gettext without a catalogue of its own: the CLI gives them its own, so help
#: reads in one language
TOOLKIT_WORDS = frozenset(
    {
        N_("Options"),
        N_("Arguments"),
        N_("Commands"),
        N_("required"),
        N_("default: {default}"),
        N_("env var: {var}"),
        N_("(dynamic)"),
        N_("Aborted!"),
    }
)


def toolkit_in_language() -> None:
    """Typer's own words in help in the CLI's language (English leaves them be).
    ``typer.core`` calls its ``_`` (gettext) as it writes help, so that ``_`` is
    replaced; the click Typer carries writes "Usage:" and the help option's text
    without gettext, so its formatter and help option are given ours. Defensive: a
    Typer without these hooks keeps its English words (tests/e2e/test_cli_language.py
    notices)."""
    if LANG == "en":
        return
    import typer.core

    def words(message: str) -> str:
        return translate(message, LANG) if message in TOOLKIT_WORDS else message

    typer.core._ = words  # type: ignore[attr-defined]
    try:
        from typer._click import core as click_core
        from typer._click import formatting
    except ImportError:
        return
    usage, help_text = T("Usage:"), T("Show this message and exit.")

    class HelpFormatter(formatting.HelpFormatter):  # type: ignore[misc]
        def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
            super().write_usage(prog, args, usage if prefix is None else prefix)

        def write_heading(self, heading: str) -> None:  # 选项：, not 选项:
            self.write(f"{'':>{self.current_indent}}{heading}：\n")

    click_core.Context.formatter_class = HelpFormatter
    original = click_core.Command.get_help_option

    def get_help_option(self: Any, ctx: Any) -> Any:
        option = original(self, ctx)
        if option is not None:
            option.help = help_text
        return option

    click_core.Command.get_help_option = get_help_option
