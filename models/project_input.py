"""What people give the project's commands, checked: the labels and length limits
of the texts (a project's name, its community, a reason, a note, a comment), the
checks on them (no control characters, not too long, not blank where required), the
planner a project is given, and the words the refusals name a stage or a role with.

Shared by the project's command groups (``models.project`` and the modules its
``Project`` is composed of); ``check_text`` also checks texts outside projects.
"""

from __future__ import annotations

from .errors import N_, InvalidInput, Localized
from .people import ROLE_LABELS_EN, ROLE_LABELS_ZH, Person, Role
from .template import StageSpec
from .text import LINE_BREAKS_AND_TABS, has_control_characters, is_blank

MAX_NAME = 200  # a name: project, community (the columns allow more; one rule on both databases)
MAX_REASON = 5000  # a reason, comment or note


PROJECT_NAME = Localized("项目名称", "project name")
COMMUNITY = Localized("社区", "community")
REASON = Localized("原因", "reason")
NOTE = Localized("说明", "note")
HANDOVER_NOTE = Localized("交接说明", "handover note")
COMMENT = Localized("意见", "comment")


def check_text(text: str, what: Localized, *, field: str, limit: int = 300) -> None:
    """Text from people: no NUL (PostgreSQL refuses it, SQLite would keep it), no
    control characters but line breaks and tabs, and the same length limit on every
    database."""
    if len(text) > limit:
        raise InvalidInput(
            "{what} is too long: {length} characters, at most {limit}",
            field=field,
            what=what,
            length=len(text),
            limit=limit,
        )
    if has_control_characters(text, allowed=LINE_BREAKS_AND_TABS):
        raise InvalidInput("{what} contains control characters", field=field, what=what)


def check_required_text(text: str, what: Localized, field: str, limit: int, empty: str) -> None:
    """A text a command needs (a project's name, its community): checked as
    :func:`check_text`, and refused with ``empty`` when blank."""
    check_text(text, what, field=field, limit=limit)
    if is_blank(text):
        raise InvalidInput(empty, field=field)


_REASON_NEEDED = {
    "an extension request": N_("an extension request needs a reason"),
    "a return": N_("a return needs a reason"),
    "a refusal": N_("a refusal needs a reason"),
    "a pause": N_("a pause needs a reason"),
    "a suspension": N_("a suspension needs a reason"),
    "a cancellation": N_("a cancellation needs a reason"),
    "a handover": N_("a handover needs a note"),
}


def require_reason(text: str, what: str, *, label: Localized | None = None, field: str = "reason") -> str:
    """``text`` as the reason of ``what``, refused when blank; ``label`` (the reason)
    and ``field`` name the input as its form does (a handover's is its note)."""
    check_text(text or "", label or REASON, field=field, limit=MAX_REASON)
    text = (text or "").strip()
    if is_blank(text):
        raise InvalidInput(_REASON_NEEDED[what], field=field)
    return text


def check_planner(planner: Person, district: str, street: str, where: Localized) -> None:
    """The person named as a project's planner: an active planner serving its street."""
    if planner.role is not Role.PLANNER:
        raise InvalidInput(
            "{person} is a {role}, not a planner",
            field="planner",
            person=planner.name,
            role=role_name(planner),
        )
    if not planner.active:
        raise InvalidInput(
            "{person} is no longer active in the directory", field="planner", person=planner.name
        )
    if not planner.covers_street(district, street):
        raise InvalidInput(
            "planner {person} does not serve {street}", field="planner", person=planner.name, street=where
        )


def stage_name(spec: StageSpec) -> Localized:
    return Localized(spec.name, spec.name_en)


def role_name(person: Person) -> Localized:
    return Localized(ROLE_LABELS_ZH[person.role], ROLE_LABELS_EN[person.role])
