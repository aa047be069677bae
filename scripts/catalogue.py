"""The message catalogue: extract every message id from the code and the templates,
and keep the translations in step.

    python scripts/catalogue.py update   # rewrite messages.pot, add new ids to each .po
    python scripts/catalogue.py check    # list ids without a translation (exit 1 if any)

Message ids are English; ``zh`` translates all of them (tests/unit/test_catalogue.py
runs the same check)."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "src" / "accompany" / "locale"
LANGUAGES = ("zh",)
# the functions and error classes whose first (or given) argument is a message id
KEYWORDS = {
    "_": None,
    "N_": None,
    "T": None,
    "say": None,
    "translate": None,
    "Problem": (2,),
    "shortfall": (2,),
    **{
        name: None
        for name in (
            "InvalidInput",
            "NotFound",
            "PermissionDenied",
            "RuleViolation",
            "Conflict",
            "CalendarUnknown",
            "Unauthenticated",
            "Throttled",
        )
    },
}


def extract() -> Catalog:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    catalog = Catalog(project="accompany", charset="utf-8")
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        if isinstance(message, str) and message.strip():
            catalog.add(message, context=context)
    return catalog


def translations(lang: str) -> Catalog:
    with (LOCALE / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=lang)


def untranslated(lang: str) -> list[str]:
    known = {m.id: m.string for m in translations(lang) if m.id}
    return sorted(m.id for m in extract() if m.id and not known.get(m.id))


def update() -> None:
    template = extract()
    with (LOCALE / "messages.pot").open("wb") as handle:
        write_po(handle, template, omit_header=True, sort_output=True)
    for lang in LANGUAGES:
        current = translations(lang)
        current.update(template, no_fuzzy_matching=True)
        with (LOCALE / lang / "LC_MESSAGES" / "messages.po").open("wb") as handle:
            write_po(handle, current, omit_header=False, sort_output=True, ignore_obsolete=True)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "update":
        update()
    missing = [(lang, m) for lang in LANGUAGES for m in untranslated(lang)]
    for lang, message in missing:
        print(f"{lang}: no translation for {message!r}")
    sys.exit(1 if missing and command == "check" else 0)
