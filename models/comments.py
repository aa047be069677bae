"""问计: residents' comments and objections during a stage's public notice (公示),
each answered by the planner.

A stage with ``comments:`` in its template (the 方案宣讲与公示) takes, while it is in
progress and its notice period runs, a household's **comment** (意见) or
**objection** (异议): free text, a few per household. The planner (or a coordinator
of the street) answers each one once; only the answer's author amends it. When
comments exist the stage's objections evidence is their summary, and the stage is
not marked done while an objection has no answer.

Pure: no database, no clock (``today`` is given).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .errors import N_, Conflict, InvalidInput, Localized, PermissionDenied, RuleViolation
from .people import ROLE_LABELS_EN, ROLE_LABELS_ZH, Person, Role
from .states import ProjectStatus, StageState
from .text import LINE_BREAKS_AND_TABS, has_control_characters, is_blank

#: a comment's text, in characters
MAX_COMMENT = 500
#: an answer's text, in characters
MAX_ANSWER = 1000
#: comments a household may leave on one stage (a few, not a flood)
PER_HOUSEHOLD = 5


class Kind(StrEnum):
    COMMENT = "comment"  # 意见
    OBJECTION = "objection"  # 异议


class Channel(StrEnum):
    PUBLIC = "public"  # left by the resident on the public page
    PAPER = "paper"  # a paper comment recorded by the planner or a coordinator (代录)


KIND_LABELS = {
    Kind.COMMENT: Localized("意见", "comment"),
    Kind.OBJECTION: Localized("异议", "objection"),
}


def parse_kind(text: str) -> Kind:
    """comment/objection as typed (or 意见/异议)."""
    wanted = (text or "").strip().lower()
    for kind, label in KIND_LABELS.items():
        if wanted in (kind.value, label.zh):
            return kind
    raise InvalidInput(
        "'{value}' is not a kind of comment (comment or objection)", field="kind", value=(text or "")[:20]
    )


def _checked(text: str, *, field: str, limit: int, what: Localized) -> str:
    value = (text or "").strip()
    if is_blank(value):
        raise InvalidInput("{what} is required", field=field, what=what)
    if len(value) > limit:
        raise InvalidInput(
            "{what} is too long: {length} characters (at most {limit})",
            field=field,
            what=what,
            length=len(value),
            limit=limit,
        )
    if has_control_characters(value, LINE_BREAKS_AND_TABS):
        raise InvalidInput("{what} contains control characters", field=field, what=what)
    return value


def check_comment_text(text: str) -> str:
    """A comment's text: required, at most ``MAX_COMMENT`` characters, line breaks
    and tabs but no other control character; surrounding blanks are dropped."""
    return _checked(text, field="text", limit=MAX_COMMENT, what=Localized("意见内容", "the comment's text"))


def check_answer_text(text: str) -> str:
    """An answer's text: required, at most ``MAX_ANSWER`` characters, no control
    character but line breaks and tabs."""
    return _checked(text, field="text", limit=MAX_ANSWER, what=Localized("答复内容", "the answer"))


# -- the notice window ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeWindow:
    """The public notice: from the day the stage started to ``last_day``
    (``days`` calendar days in all, both ends included). The deadline's
    ``notice-end`` anchor is the day after ``last_day``."""

    first_day: dt.date
    last_day: dt.date

    def covers(self, day: dt.date) -> bool:
        return self.first_day <= day <= self.last_day


def notice_window(started_on: dt.date, days: int) -> NoticeWindow:
    """The ``days``-calendar-day notice of a stage started on ``started_on``: it ends
    where the deadline's ``notice-end`` anchor (start + days) begins."""
    return NoticeWindow(started_on, started_on + dt.timedelta(days=days - 1))


class CommentsClosed(Conflict):
    """A resident's comment outside the public notice."""


def ensure_comments_open(
    stage_name: Localized,
    state: StageState,
    status: ProjectStatus,
    window: NoticeWindow | None,
    today: dt.date,
) -> None:
    """Residents comment while the stage is in progress on a running project and
    ``today`` is inside its notice window; before it, or after its last day (named
    in the refusal), the comment is refused."""
    if status is not ProjectStatus.ACTIVE or state is not StageState.IN_PROGRESS or window is None:
        if window is not None and state is not StageState.PENDING and today > window.last_day:
            raise CommentsClosed(
                N_("the public notice of {stage_name} ended on {date}: comments are no longer taken"),
                stage_name=stage_name,
                date=window.last_day.isoformat(),
            )
        raise CommentsClosed(N_("{stage_name} takes no comments now"), stage_name=stage_name)
    if today < window.first_day:
        raise CommentsClosed(N_("{stage_name} takes no comments now"), stage_name=stage_name)
    if today > window.last_day:
        raise CommentsClosed(
            N_("the public notice of {stage_name} ended on {date}: comments are no longer taken"),
            stage_name=stage_name,
            date=window.last_day.isoformat(),
        )


def ensure_paper_open(stage_name: Localized, state: StageState, status: ProjectStatus) -> None:
    """A paper comment (代录) is recorded while the stage is in progress on a running
    project — also after the notice's last day, for a paper handed in during it —
    but not once the stage is marked done."""
    if status is not ProjectStatus.ACTIVE or state is not StageState.IN_PROGRESS:
        raise CommentsClosed(N_("{stage_name} takes no comments now"), stage_name=stage_name)


def ensure_household_limit(already: int, limit: int = PER_HOUSEHOLD) -> None:
    """A household leaves at most ``limit`` comments on a stage (several, not a
    flood)."""
    if already >= limit:
        raise Conflict(
            "this household has already left {limit} comments on this stage, the most it may leave",
            field="text",
            limit=limit,
        )


# -- answers ----------------------------------------------------------------------------------------


def may_answer(actor: Person, project: Any) -> None:
    """The project's planner or a coordinator of its street (or of its whole
    district) answers residents' comments and records paper ones."""
    if not actor.active:
        raise PermissionDenied("{person} is no longer active in the directory", person=actor.name)
    if actor.id == project.planner_id:
        return
    if actor.role is Role.COORDINATOR and actor.covers_street(project.district, project.street):
        return
    raise PermissionDenied(
        "{person} ({role}) cannot answer the comments on {project}: only its planner or a coordinator "
        "of its street can",
        person=actor.name,
        role=Localized(ROLE_LABELS_ZH[actor.role], ROLE_LABELS_EN[actor.role]),
        project=project.name,
    )


def ensure_unanswered(comment_id: int, answered_by: str | None) -> None:
    """A comment is answered once; a second answer is refused (its author amends it
    instead)."""
    if answered_by is not None:
        raise Conflict(
            "comment #{comment} is already answered; only the answer's author can amend it",
            comment=comment_id,
        )


def ensure_author(comment_id: int, answered_by: str | None, actor_id: str) -> None:
    """Only the author of an answer amends it (a comment without an answer is
    answered, not amended)."""
    if answered_by is None:
        raise Conflict("comment #{comment} has no answer to amend yet", comment=comment_id)
    if answered_by != actor_id:
        raise PermissionDenied(
            "only the author of the answer to comment #{comment} can amend it", comment=comment_id
        )


# -- the stage's evidence ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    comments: int = 0
    objections: int = 0
    answered: int = 0
    unanswered_objections: int = 0

    @property
    def total(self) -> int:
        return self.comments + self.objections


def count(items: Iterable[tuple[Kind, bool]]) -> Counts:
    """Comments, objections, answered ones and unanswered objections of
    ``items`` (kind, answered)."""
    comments = objections = answered = open_objections = 0
    for kind, is_answered in items:
        if kind is Kind.OBJECTION:
            objections += 1
            open_objections += 0 if is_answered else 1
        else:
            comments += 1
        answered += 1 if is_answered else 0
    return Counts(comments, objections, answered, open_objections)


def comments_evidence(counts: Counts) -> str:
    """The objections evidence generated from the comments, in the record's language
    like the evidence the planner types (it was kept in both languages at once, which
    read as one mixed string in either)."""
    return (
        f"公示期间收到意见 {counts.comments} 条、异议 {counts.objections} 条，"
        f"已答复 {counts.answered} 条（详见问计记录）"
    )


def every_objection_answered(stage_name: Localized, counts: Counts, *, field: str = "comments") -> None:
    """Every objection is answered before the 公示 closes the stage: marking the
    stage done is refused while an objection has no answer."""
    if counts.unanswered_objections:
        raise RuleViolation(
            "stage {stage_name} cannot be marked done: {count} objection(s) have no answer yet — answer "
            "every objection first",
            field=field,
            stage_name=stage_name,
            count=counts.unanswered_objections,
        )


def comments_summary(counts: Counts) -> dict[str, int]:
    """The counts as the audit log keeps them (no household, no text)."""
    return {
        "comments": counts.comments,
        "objections": counts.objections,
        "answered": counts.answered,
    }
