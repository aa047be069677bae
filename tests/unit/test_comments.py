"""问计 rules (``models.comments``): the notice window, the per-household limit, the
texts, answering once, and unanswered objections blocking the stage."""

from __future__ import annotations

import datetime as dt

import pytest

from accompany.models.comments import (
    MAX_ANSWER,
    MAX_COMMENT,
    CommentsClosed,
    Kind,
    check_answer_text,
    check_comment_text,
    comments_evidence,
    count,
    ensure_author,
    ensure_comments_open,
    ensure_household_limit,
    ensure_paper_open,
    ensure_unanswered,
    every_objection_answered,
    notice_window,
    parse_kind,
)
from accompany.models.errors import Conflict, InvalidInput, Localized, PermissionDenied, RuleViolation
from accompany.models.states import ProjectStatus, StageState
from accompany.models.template import StageSpec

NAME = Localized("方案宣讲与公示", "Plan presentation and public notice")
START = dt.date(2026, 3, 2)
WINDOW = notice_window(START, 7)


def test_the_notice_window_is_seven_calendar_days_from_the_start() -> None:
    assert (WINDOW.first_day, WINDOW.last_day) == (START, dt.date(2026, 3, 8))
    # the day after the last day is the deadline's notice-end anchor (start + 7)
    assert WINDOW.last_day + dt.timedelta(days=1) == START + dt.timedelta(days=7)
    for day in (START, dt.date(2026, 3, 5), dt.date(2026, 3, 8)):
        ensure_comments_open(NAME, StageState.IN_PROGRESS, ProjectStatus.ACTIVE, WINDOW, day)


def test_after_the_notice_the_refusal_names_its_last_day() -> None:
    with pytest.raises(CommentsClosed) as caught:
        ensure_comments_open(NAME, StageState.IN_PROGRESS, ProjectStatus.ACTIVE, WINDOW, dt.date(2026, 3, 9))
    assert caught.value.values["date"] == "2026-03-08"
    assert "ended on" in str(caught.value)
    # a stage already done: closed, the end date named too
    with pytest.raises(CommentsClosed, match="ended on"):
        ensure_comments_open(NAME, StageState.SUBMITTED, ProjectStatus.ACTIVE, WINDOW, dt.date(2026, 3, 9))


@pytest.mark.parametrize(
    ("state", "status", "window"),
    [
        (StageState.PENDING, ProjectStatus.ACTIVE, None),
        (StageState.IN_PROGRESS, ProjectStatus.SUSPENDED, WINDOW),
        (StageState.SUBMITTED, ProjectStatus.ACTIVE, WINDOW),
    ],
)
def test_no_comments_outside_a_running_notice(state, status, window) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommentsClosed):
        ensure_comments_open(NAME, state, status, window, dt.date(2026, 3, 3))


def test_before_the_first_day_no_comment() -> None:
    with pytest.raises(CommentsClosed, match="takes no comments now"):
        ensure_comments_open(NAME, StageState.IN_PROGRESS, ProjectStatus.ACTIVE, WINDOW, dt.date(2026, 3, 1))


def test_paper_comments_until_the_stage_is_done() -> None:
    ensure_paper_open(NAME, StageState.IN_PROGRESS, ProjectStatus.ACTIVE)
    with pytest.raises(CommentsClosed):
        ensure_paper_open(NAME, StageState.SUBMITTED, ProjectStatus.ACTIVE)


def test_a_household_leaves_at_most_its_limit() -> None:
    for already in range(5):
        ensure_household_limit(already, 5)
    with pytest.raises(Conflict, match="already left 5 comments"):
        ensure_household_limit(5, 5)


def test_texts_required_bounded_and_without_control_characters() -> None:
    assert check_comment_text("  座椅太少\n希望加装  ") == "座椅太少\n希望加装"
    assert check_comment_text("字" * MAX_COMMENT) == "字" * MAX_COMMENT
    for bad in ("", "   ", "字" * (MAX_COMMENT + 1), "bell\x07", "esc\x1b[31m", "nul\x00", "del\x7f"):
        with pytest.raises(InvalidInput):
            check_comment_text(bad)
    assert check_answer_text("已采纳") == "已采纳"
    check_answer_text("字" * MAX_ANSWER)
    with pytest.raises(InvalidInput, match="too long"):
        check_answer_text("字" * (MAX_ANSWER + 1))
    with pytest.raises(InvalidInput, match="required"):
        check_answer_text(" ")


def test_kinds_in_either_language() -> None:
    assert parse_kind("意见") is Kind.COMMENT and parse_kind(" Objection ") is Kind.OBJECTION
    with pytest.raises(InvalidInput, match="not a kind of comment"):
        parse_kind("complaint")


def test_answered_once_and_amended_by_its_author_only() -> None:
    ensure_unanswered(1, None)
    with pytest.raises(Conflict, match="already answered"):
        ensure_unanswered(1, "wangrb")
    ensure_author(1, "wangrb", "wangrb")
    with pytest.raises(PermissionDenied, match="only the author"):
        ensure_author(1, "wangrb", "zhangl")
    with pytest.raises(Conflict, match="no answer to amend"):
        ensure_author(1, None, "wangrb")


def test_unanswered_objections_block_the_stage() -> None:
    counts = count(
        [(Kind.COMMENT, False), (Kind.OBJECTION, True), (Kind.OBJECTION, False), (Kind.OBJECTION, False)]
    )
    assert (counts.comments, counts.objections, counts.answered, counts.unanswered_objections) == (1, 3, 1, 2)
    with pytest.raises(RuleViolation) as caught:
        every_objection_answered(NAME, counts)
    assert caught.value.values["count"] == 2
    # an unanswered comment (not an objection) does not block
    every_objection_answered(NAME, count([(Kind.COMMENT, False), (Kind.OBJECTION, True)]))
    assert comments_evidence(counts) == "公示期间收到意见 1 条、异议 3 条，已答复 1 条（详见问计记录）"


def _stage(**extra: object) -> dict:  # type: ignore[type-arg]
    return {
        "id": "plan-presentation",
        "name": "方案宣讲与公示",
        "phase": "during",
        "deadline": {"working_days": 5, "from": "notice-end", "notice_calendar_days": 7},
        "evidence": [{"key": "objections", "label": "意见与异议记录", "type": "text"}],
        **extra,
    }


def test_the_template_declares_comments_on_a_notice_stage_with_a_text_key() -> None:
    spec = StageSpec.model_validate(_stage(comments={}))
    assert spec.comments is not None and spec.comments.evidence == "objections"
    assert spec.comments.per_household == 5
    assert StageSpec.model_validate(_stage()).comments is None
    with pytest.raises(ValueError, match="not a text evidence key"):
        StageSpec.model_validate(_stage(comments={"evidence": "nothing"}))
    bad = _stage(comments={})
    bad["deadline"] = {"working_days": 5}
    with pytest.raises(ValueError, match="notice-end"):
        StageSpec.model_validate(bad)
