"""问计 through the service layer (SQLite and PostgreSQL): a household's code leaves
comments and objections during the public notice, a few per household; unknown or
another project's codes and comments after the notice are refused, database
unchanged; paper comments by the planner; answers once, amended by their author
only; another street's planner sees nothing; the stage's objections evidence follows
the comments and an unanswered objection keeps the stage from being marked done."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from accompany.bootstrap import App
from accompany.clock import FixedClock
from accompany.db.orm import EventRow, HouseholdRow, StageRow
from accompany.models.comments import CommentsClosed
from accompany.models.deadlines import LOCAL_TZ
from accompany.models.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleViolation
from accompany.services import commands, households
from accompany.services.audit import verify_log
from accompany.services.comments import answer_comment, leave_comment, list_comments
from accompany.services.public import set_published

from ..conftest import start_command
from ..web_support import snapshot

HEADER = ["楼号", "单元", "房号", "建筑面积", "业主人数"]
ROWS = [
    ["1", "1", "101", "60", "1"],
    ["1", "2", "102", "60", "1"],
    ["2", "1", "201", "80", "2"],
]


def open_notice(app: App, project_id: int) -> None:
    """Put the plan-presentation stage (方案宣讲与公示) in progress from now."""
    earlier = ("needs-survey", "needs-list", "design-proposal")
    with app.uow() as uow:
        uow.session.execute(
            update(StageRow)
            .where(StageRow.project_id == project_id, StageRow.key.in_(earlier))
            .values(state="approved", approved_at=app.now(), waiting_for=None)
        )
        uow.session.execute(
            update(StageRow)
            .where(StageRow.project_id == project_id, StageRow.key == "plan-presentation")
            .values(state="in_progress", activated_at=app.now())
        )
        uow.commit()


def codes(app: App, project_id: int) -> list[str]:
    with app.reader() as uow:
        return list(
            uow.session.scalars(
                select(HouseholdRow.code)
                .where(HouseholdRow.project_id == project_id)
                .order_by(HouseholdRow.position)
            )
        )


@pytest.fixture
def notice(people: App, project_id: int) -> list[str]:
    households.load_register(people, project_id, HEADER, ROWS, by="zhangl")
    set_published(people, project_id, by="zhangl")
    open_notice(people, project_id)
    return codes(people, project_id)


def _events(app: App) -> list[EventRow]:
    with app.reader() as uow:
        return list(
            uow.session.scalars(
                select(EventRow).where(EventRow.kind.like("comments.%")).order_by(EventRow.id)
            )
        )


def test_comments_and_objections_by_code_listed_newest_first(
    people: App, clock: FixedClock, project_id: int, notice: list[str]
) -> None:
    first = leave_comment(people, project_id, notice[0].lower(), "comment", "座椅太少，希望加装")
    assert (first.stage, first.kind, first.channel) == ("plan-presentation", "comment", "public")
    clock.advance(hours=1)
    leave_comment(people, project_id, notice[1], "异议", "<script>alert(1)</script> 不同意砍树")
    view = list_comments(people, project_id, by="wangrb")
    assert (view.comments, view.objections, view.answered, view.open) == (1, 1, 0, True)
    assert [c.kind for c in view.items] == ["objection", "comment"]  # newest first
    assert (view.items[0].building, view.items[0].unit) == ("1", "2")
    public = list_comments(people, project_id, public=True)
    assert all(c.building is None and c.unit is None and c.answered_by is None for c in public.items)
    assert public.items[0].text == "<script>alert(1)</script> 不同意砍树"  # kept; escaped when shown
    events = _events(people)
    assert [e.kind for e in events] == ["comments.left", "comments.left"]
    assert events[0].actor == "resident" and events[0].data["text"] == "座椅太少，希望加装"
    assert all(code not in str(e.data) for e in events for code in notice)
    assert verify_log(people).intact


def test_bad_input_is_refused_and_nothing_changes(people: App, project_id: int, notice: list[str]) -> None:
    other = commands.start_project(people, start_command(name="另一个项目")).project_id
    assert other is not None
    households.load_register(people, other, HEADER, [["9", "1", "101", "50", "1"]], by="zhangl")
    foreign = codes(people, other)[0]
    before = snapshot(people)
    for code in ("ZZZZZZZZ", foreign):
        with pytest.raises(NotFound, match="not in this project's register"):
            leave_comment(people, project_id, code, "comment", "好")
    # text that cannot be a code is told what a code looks like (its shape says nothing of the register)
    with pytest.raises(InvalidInput, match="not a valid one: a code has 8 letters and digits"):
        leave_comment(people, project_id, "not a code", "comment", "好")
    with pytest.raises(InvalidInput, match="type your household code"):  # asked for, not looked up
        leave_comment(people, project_id, " ", "comment", "好")
    for text in ("", "   ", "字" * 501, "a\x1b[2J"):
        with pytest.raises(InvalidInput):
            leave_comment(people, project_id, notice[0], "comment", text)
    with pytest.raises(InvalidInput, match="not a kind"):
        leave_comment(people, project_id, notice[0], "complaint", "好")
    assert snapshot(people) == before


def test_a_household_leaves_at_most_five(people: App, project_id: int, notice: list[str]) -> None:
    for n in range(5):
        leave_comment(people, project_id, notice[0], "comment", f"第{n}条")
    before = snapshot(people)
    with pytest.raises(Conflict, match="already left 5 comments"):
        leave_comment(people, project_id, notice[0], "objection", "第6条")
    with pytest.raises(Conflict):
        leave_comment(people, project_id, notice[0], "objection", "代录第6条", by="wangrb")
    assert snapshot(people) == before
    leave_comment(people, project_id, notice[1], "comment", "另一户")


def test_after_the_notice_residents_are_refused_naming_the_end(
    people: App, clock: FixedClock, project_id: int, notice: list[str]
) -> None:
    clock.advance(days=6)  # 2026-03-08: the seventh and last day
    leave_comment(people, project_id, notice[0], "comment", "最后一天")
    clock.advance(days=1)
    before = snapshot(people)
    with pytest.raises(CommentsClosed, match="ended on 2026-03-08"):
        leave_comment(people, project_id, notice[0], "comment", "晚了")
    assert snapshot(people) == before
    assert list_comments(people, project_id, public=True).open is False
    # a paper comment handed in during the notice is still recorded by the planner
    paper = leave_comment(people, project_id, "1-2-102", "objection", "纸质异议", by="wangrb")
    assert paper.channel == "paper"


def test_unpublished_page_takes_no_public_comment(people: App, project_id: int, notice: list[str]) -> None:
    set_published(people, project_id, by="zhangl", published=False)
    with pytest.raises(NotFound, match="unknown project"):
        leave_comment(people, project_id, notice[0], "comment", "好")
    with pytest.raises(NotFound, match="unknown project"):
        list_comments(people, project_id, public=True)


def test_paper_comments_and_answers_by_the_planner_or_coordinator(
    people: App, project_id: int, notice: list[str]
) -> None:
    paper = leave_comment(people, project_id, "201", "objection", "纸质：反对拆除车棚", by="zhangl")
    assert paper.channel == "paper"
    before = snapshot(people)
    with pytest.raises(NotFound, match="unknown project"):  # another district's planner
        leave_comment(people, project_id, notice[0], "comment", "x", by="hel")
    with pytest.raises(NotFound, match="unknown project"):
        answer_comment(people, project_id, paper.comment_id, "答复", by="hel")
    with pytest.raises(NotFound, match="unknown project"):
        list_comments(people, project_id, by="hel")
    for person in ("zhaoy", "chenm"):
        with pytest.raises(PermissionDenied):
            answer_comment(people, project_id, paper.comment_id, "答复", by=person)
    with pytest.raises(NotFound, match="unknown comment"):
        answer_comment(people, project_id, 99999, "答复", by="wangrb")
    with pytest.raises(InvalidInput):
        answer_comment(people, project_id, paper.comment_id, "字" * 1001, by="wangrb")
    assert snapshot(people) == before

    answer_comment(people, project_id, paper.comment_id, "车棚保留，改为扩建", by="wangrb")
    before = snapshot(people)
    with pytest.raises(Conflict, match="already answered"):
        answer_comment(people, project_id, paper.comment_id, "再答一次", by="zhangl")
    with pytest.raises(PermissionDenied, match="only the author"):
        answer_comment(people, project_id, paper.comment_id, "改答复", by="zhangl", amend=True)
    assert snapshot(people) == before
    answered_at = list_comments(people, project_id, by="zhangl").items[0].answered_at
    people.clock.moment += dt.timedelta(days=120)  # type: ignore[attr-defined]  # another quarter
    answer_comment(people, project_id, paper.comment_id, "车棚保留，原址扩建", by="wangrb", amend=True)
    view = list_comments(people, project_id, by="zhangl")
    assert view.items[0].answer == "车棚保留，原址扩建" and view.answered == 1
    # still answered when it was first answered: the quarter's report does not change
    assert view.items[0].answered_at == answered_at
    # …and the change is dated, so that nobody reads the new text as written on the first day
    assert view.items[0].amended_on == people.now().astimezone(LOCAL_TZ).date() != view.items[0].answered_on
    events = _events(people)
    assert [e.kind for e in events] == ["comments.left", "comments.answered", "comments.answer_amended"]
    assert events[0].data["channel"] == "paper" and events[0].actor == "zhangl"
    assert events[2].data["previous"] == "车棚保留，改为扩建"
    assert verify_log(people).intact


def _complete(app: App, project_id: int, **evidence: str) -> commands.Outcome:
    values = {"sessions_held": "2", "attendees": "40", "notice_days": "7", **evidence}
    return commands.complete_stage(
        app,
        commands.CompleteStage(
            project_id=project_id, stage="plan-presentation", by="wangrb", evidence=values
        ),
    )


def test_unanswered_objections_block_the_stage_and_the_evidence_follows(
    people: App, project_id: int, notice: list[str]
) -> None:
    leave_comment(people, project_id, notice[0], "comment", "加装座椅")
    objection = leave_comment(people, project_id, notice[1], "objection", "反对砍树")
    leave_comment(people, project_id, notice[2], "objection", "反对占用车位")
    before = snapshot(people)
    with pytest.raises(RuleViolation, match="2 objection"):
        _complete(people, project_id, objections="无异议")
    answer_comment(people, project_id, objection.comment_id, "保留大树", by="wangrb")
    with pytest.raises(RuleViolation, match="1 objection"):
        _complete(people, project_id)
    assert len(snapshot(people)["event"]) == len(before["event"]) + 1
    last = list_comments(people, project_id, by="wangrb", open_only=True).items
    assert [c.kind for c in last] == ["objection", "comment"]
    answer_comment(people, project_id, last[0].id, "另辟车位", by="wangrb")
    outcome = _complete(people, project_id, objections="无异议")  # the typed text gives way
    evidence = outcome.events[-1].data["evidence"]
    assert evidence["objections"].startswith("公示期间收到意见 1 条、异议 2 条，已答复 2 条")
    with pytest.raises(CommentsClosed):
        leave_comment(people, project_id, notice[0], "comment", "晚了")


def test_without_comments_the_typed_objections_still_count(people: App, project_id: int) -> None:
    open_notice(people, project_id)
    outcome = _complete(people, project_id, objections="无异议")
    assert outcome.events[-1].data["evidence"]["objections"] == "无异议"
