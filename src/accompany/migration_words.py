"""A template migration's plan as people read it — the same words on the CLI's table
and the web's (``accompany template migrate``, the project page's 迁移模板版本)."""

from __future__ import annotations

from typing import Any

from .i18n import translate
from .models.errors import N_

#: what happens to a stage, by the plan's ``change``
CHANGES = {
    "kept": N_("kept"),
    "renamed": N_("renamed"),
    "added": N_("added"),
    "removed": N_("removed"),
}


def change_words(row: dict[str, Any], lang: str) -> str:
    words = CHANGES[row["change"]]
    return translate(words, lang)


def deadline_words(row: dict[str, Any], lang: str) -> str:
    """What happens to the stage's deadline."""
    due = row.get("due") or "—"
    return {
        "kept": lambda: translate("kept: {due}", lang, due=due),
        "new-rule": lambda: (
            translate("under the new rule when it starts", lang)
            if row.get("due") is None
            else translate("under the new rule: {due}", lang, due=due)
        ),
        "given": lambda: translate("given: {due}", lang, due=due),
        "from-migration": lambda: translate("starts now: {due}", lang, due=due),
        "dropped": lambda: translate("dropped with the stage", lang),
    }[row["deadline"]]()


def evidence_words(row: dict[str, Any], lang: str) -> str:
    if not (row["evidence"] or row["files"]):
        return "—"
    return translate(
        "{evidence} item(s), {files} file(s)", lang, evidence=row["evidence"], files=row["files"]
    )
