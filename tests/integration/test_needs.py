"""The needs survey (问需) through the service layer (SQLite and PostgreSQL): the
default menu copied in at first use and edited by the street's coordinator, a
household's answer by code (public) or on paper by code or home (代录), a later one
replacing it, problem points converted and checked, photos sniffed, the survey
closing with the stage, and the list-of-needs evidence following the answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select, update

from accompany.bootstrap import App
from accompany.db.orm import EventRow, NeedsAnswerRow, NeedsPointRow, StageRow
from accompany.models.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from accompany.models.needs import DEFAULT_MENU, SurveyClosed
from accompany.services import commands, households
from accompany.services.audit import verify_log
from accompany.services.needs import PointInput, edit_menu, menu_view, record_answer
from accompany.services.needs_tally import needs_tally, problem_points
from accompany.services.public import set_published

from ..conftest import start_command
from ..web_support import snapshot
from .test_consent import HEADER, ROWS, codes

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def survey(people: App, project_id: int) -> list[str]:
    households.load_register(people, project_id, HEADER, ROWS, by="zhangl")
    set_published(people, project_id, by="zhangl")
    return codes(people, project_id)


def items(app: App, project_id: int) -> dict[str, int]:
    """The menu's item numbers, the default copied in first (by an empty edit)."""
    edit_menu(app, project_id, by="zhangl")
    return {item.name: item.id for item in menu_view(app, project_id).items}


def _events(app: App, prefix: str = "needs.") -> list[EventRow]:
    with app.reader() as uow:
        return list(
            uow.session.scalars(
                select(EventRow).where(EventRow.kind.like(f"{prefix}%")).order_by(EventRow.id)
            )
        )


def test_answers_replace_and_tally(people: App, project_id: int, survey: list[str]) -> None:
    menu = items(people, project_id)
    assert len(menu) == len(DEFAULT_MENU) and "加装电梯" in menu
    first = record_answer(
        people,
        project_id,
        survey[0].lower(),
        [menu["加装电梯"], menu["屋面防水"], menu["加装电梯"]],
        comment="楼道太暗",
        points=[PointInput(category="安全隐患", note="井盖松动", lat="39.9089", lng="116.4035")],
    )
    assert (first.stage, first.channel, first.replaced, first.points) == ("needs-survey", "public", False, 1)
    record_answer(people, project_id, survey[1], [menu["加装电梯"]])
    again = record_answer(people, project_id, survey[1], [menu["停车管理"]])
    assert again.replaced
    view = needs_tally(people, project_id)
    assert (view.responses, view.items_chosen, view.points, view.paper) == (2, 3, 1, 0)
    top = view.rows[0]
    assert (top.name, top.households, top.share) == ("屋面防水", 1, 0.5)  # ties: in menu order
    counts = {row.name: row.households for row in view.rows}
    assert counts["加装电梯"] == 1 and counts["停车管理"] == 1 and counts["屋面防水"] == 1
    assert counts["外墙保温"] == 0
    events = _events(people, "needs.answer")
    assert [e.kind for e in events] == ["needs.answered", "needs.answered", "needs.answer_replaced"]
    assert events[2].data["replaced"] == [menu["加装电梯"]] and events[0].actor == "resident"
    log = json.dumps([e.data for e in _events(people)], ensure_ascii=False)
    assert all(code not in log for code in survey) and "楼道太暗" not in log and "井盖" not in log
    assert verify_log(people).intact


def test_positions_are_kept_in_gcj02(people: App, project_id: int, survey: list[str]) -> None:
    menu = items(people, project_id)
    record_answer(
        people,
        project_id,
        survey[0],
        [menu["绿化提升"]],
        points=[
            PointInput(category="other", lat="39.9075", lng="116.39723", datum="wgs84"),
            PointInput(category="traffic", lat="39.9089", lng="116.4035"),
        ],
    )
    shifted, typed = problem_points(people, project_id)
    assert (shifted.datum, round(shifted.lat, 4), round(shifted.lng, 4)) == ("gcj02", 39.9089, 116.4035)
    assert (typed.lat, typed.lng, typed.category) == (39.9089, 116.4035, "traffic")


def test_bad_answers_change_nothing(people: App, project_id: int, survey: list[str], tmp_path: Path) -> None:
    other = commands.start_project(people, start_command(name="另一个项目")).project_id
    assert other is not None
    households.load_register(people, other, HEADER, [["9", "1", "101", "50", "1"]], by="zhangl")
    foreign = codes(people, other)[0]
    menu = items(people, project_id)
    edit_menu(people, project_id, by="zhangl", add=["提升类:快递柜"])
    retired = items(people, project_id)["快递柜"]
    edit_menu(people, project_id, by="zhangl", retire=[retired])  # nobody chose it: deleted
    edit_menu(people, project_id, by="zhangl", add=["提升类:快递柜"])
    kept = items(people, project_id)["快递柜"]
    record_answer(people, project_id, survey[3], [kept])
    edit_menu(people, project_id, by="zhangl", retire=[kept])  # chosen: retired
    assert [i.retired for i in menu_view(people, project_id).items if i.id == kept] == [True]
    fake = tmp_path / "photo.png"
    fake.write_bytes(b"MZ\x90\x00 not an image")
    pdf = tmp_path / "map.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    good = menu["加装电梯"]
    before = snapshot(people)
    with pytest.raises(NotFound, match="not in this project's register"):
        record_answer(people, project_id, foreign, [good])
    with pytest.raises(NotFound, match="not in this project's register"):
        record_answer(people, project_id, "ZZZZZZZZ", [good])
    with pytest.raises(InvalidInput, match="at least one need"):
        record_answer(people, project_id, survey[0], [])
    with pytest.raises(InvalidInput, match="taken off the menu"):
        record_answer(people, project_id, survey[0], [kept])
    with pytest.raises(InvalidInput, match="not on this project's menu"):
        record_answer(people, project_id, survey[0], [999999])
    with pytest.raises(InvalidInput, match="not in China"):
        record_answer(
            people,
            project_id,
            survey[0],
            [good],
            points=[PointInput(category="other", lat="116.4", lng="39.9")],
        )
    with pytest.raises(InvalidInput, match="far from Beijing"):
        record_answer(
            people,
            project_id,
            survey[0],
            [good],
            points=[PointInput(category="other", lat="31.23", lng="121.47")],
        )
    with pytest.raises(InvalidInput, match="decimal degrees"):
        record_answer(
            people, project_id, survey[0], [good], points=[PointInput(category="other", lat="nan", lng="1")]
        )
    with pytest.raises(InvalidInput):
        record_answer(
            people,
            project_id,
            survey[0],
            [good],
            points=[
                PointInput(
                    category="other", lat="39.9", lng="116.4", photo_path=str(fake), photo_filename="a.png"
                )
            ],
        )
    with pytest.raises(InvalidInput, match="not a JPEG or PNG"):
        record_answer(
            people,
            project_id,
            survey[0],
            [good],
            points=[
                PointInput(
                    category="other", lat="39.9", lng="116.4", photo_path=str(pdf), photo_filename="m.pdf"
                )
            ],
        )
    with pytest.raises(InvalidInput, match="control characters"):
        record_answer(people, project_id, survey[0], [good], comment="bad\x1b[31m")
    with pytest.raises(InvalidInput, match="longer than"):
        record_answer(people, project_id, survey[0], [good], comment="长" * 501)
    with pytest.raises(InvalidInput, match="at most 5"):
        record_answer(
            people,
            project_id,
            survey[0],
            [good],
            points=[PointInput(category="other", lat="39.9", lng="116.4")] * 6,
        )
    assert snapshot(people) == before


def test_photos_are_stored_and_paper_answers_by_home(
    people: App, project_id: int, survey: list[str], tmp_path: Path
) -> None:
    photo = tmp_path / "hole.png"
    photo.write_bytes(PNG)
    menu = items(people, project_id)
    receipt = record_answer(
        people,
        project_id,
        "1-1-101",
        [menu["无障碍设施"]],
        points=[
            PointInput(
                category="damage",
                note="台阶破损",
                lat="39.9",
                lng="116.4",
                photo_path=str(photo),
                photo_filename="坑.png",
            )
        ],
        by="wangrb",
    )
    assert receipt.channel == "paper"
    with people.reader() as uow:
        point = uow.session.scalars(select(NeedsPointRow)).one()
        answer = uow.session.scalars(select(NeedsAnswerRow)).one()
    assert point.photo_name == "坑.png" and point.photo_size == len(PNG) and answer.recorded_by == "wangrb"
    assert answer.code == survey[0]
    with pytest.raises(InvalidInput, match="not a valid one"):  # the public page takes codes, not homes
        record_answer(people, project_id, "1-1-102", [menu["无障碍设施"]])
    for person in ("zhaoy", "chenm"):
        with pytest.raises(PermissionDenied):
            record_answer(people, project_id, survey[1], [menu["无障碍设施"]], by=person)
    events = _events(people, "needs.answer")
    assert [(e.actor, e.data["channel"]) for e in events] == [("wangrb", "paper")]


def test_the_default_menu_is_copied_in_at_the_first_change(
    people: App, project_id: int, survey: list[str]
) -> None:
    shown = menu_view(people, project_id).items
    assert [i.id for i in shown[:3]] == [-1, -2, -3] and shown[0].name == DEFAULT_MENU[0][1]
    assert _events(people) == []  # looking writes nothing
    receipt = record_answer(people, project_id, survey[0], [-1, -6])
    real = {i.name: i.id for i in menu_view(people, project_id).items}
    assert receipt.items == sorted([real["屋面防水"], real["加装电梯"]])
    assert all(i > 0 for i in real.values())
    with pytest.raises(InvalidInput, match="not on this project's menu"):  # a stale page
        record_answer(people, project_id, survey[1], [-1])
    assert [e.data["action"] for e in _events(people, "needs.menu")] == ["default"]


def test_only_the_coordinator_edits_the_menu(people: App, project_id: int) -> None:
    for person in ("wangrb", "zhaoy"):
        with pytest.raises(PermissionDenied, match="needs menu"):
            edit_menu(people, project_id, by=person, add=["基础类:路灯"])
    with pytest.raises(Conflict, match="already has"):
        edit_menu(people, project_id, by="zhangl", add=["基础类:屋面防水"])
    with pytest.raises(InvalidInput, match="category:name"):
        edit_menu(people, project_id, by="zhangl", add=["路灯"])
    with pytest.raises(InvalidInput, match="not a needs category"):
        edit_menu(people, project_id, by="zhangl", add=["豪华类:路灯"])
    view = edit_menu(
        people,
        project_id,
        by="zhangl",
        add=["基础：路灯"],
        rename=[(items(people, project_id)["停车管理"], "停车秩序管理")],
    )
    names = [i.name for i in view.items]
    assert names[-1] == "路灯" and "停车秩序管理" in names and "停车管理" not in names
    actions = [e.data["action"] for e in _events(people, "needs.menu")]
    assert actions == ["default", "renamed", "added"]


def test_deleting_an_item_twice_is_done_once(people: App, project_id: int) -> None:
    """删除 pressed twice (a double click, a reload of the post) answered the second
    press with 404 "not on this project's menu" — for an item of the default menu
    (numbered -3 before the first change) and for one of the project's own. The
    second press now finds the deletion done; a number never on the menu is still
    refused, and so is renaming a deleted item."""
    shown = {i.name: i.id for i in menu_view(people, project_id).items}
    assert shown["停车管理"] < 0  # the default menu, not yet copied in
    for _ in range(2):
        edit_menu(people, project_id, by="zhangl", retire=[shown["停车管理"]])
    own = items(people, project_id)["加装电梯"]
    for _ in range(2):
        edit_menu(people, project_id, by="zhangl", retire=[own])
    names = [i.name for i in menu_view(people, project_id).items]
    assert "停车管理" not in names and "加装电梯" not in names
    actions = [(e.data["action"], e.data.get("name")) for e in _events(people, "needs.menu")]
    assert actions == [("default", None), ("deleted", "停车管理"), ("deleted", "加装电梯")]
    with pytest.raises(NotFound, match="not on this project's menu"):
        edit_menu(people, project_id, by="zhangl", retire=[999_999])
    with pytest.raises(NotFound, match="not on this project's menu"):
        edit_menu(people, project_id, by="zhangl", rename=[(own, "电梯")])
    assert verify_log(people).intact


def test_the_survey_closes_and_the_list_follows_the_answers(
    people: App, project_id: int, survey: list[str], evidence_file: Path
) -> None:
    menu = items(people, project_id)
    record_answer(people, project_id, survey[0], [menu["加装电梯"], menu["屋面防水"]])
    record_answer(people, project_id, survey[1], [menu["加装电梯"]])
    commands.complete_stage(
        people,
        commands.CompleteStage(
            project_id=project_id,
            stage="needs-survey",
            by="wangrb",
            evidence={"households_interviewed": "40", "observation_days": "3"},
            attachments=[commands.AttachmentInput(key="problem_map", path=str(evidence_file))],
        ),
    )
    with pytest.raises(SurveyClosed, match="is closed"):
        record_answer(people, project_id, survey[2], [menu["加装电梯"]])
    with pytest.raises(SurveyClosed):
        record_answer(people, project_id, survey[2], [menu["加装电梯"]], by="wangrb")
    assert needs_tally(people, project_id).open is False
    with people.uow() as uow:  # the needs list in progress (its approval is not what this is about)
        uow.session.execute(
            update(StageRow)
            .where(StageRow.project_id == project_id, StageRow.key == "needs-survey")
            .values(state="approved", approved_at=people.now(), waiting_for=None)
        )
        uow.session.execute(
            update(StageRow)
            .where(StageRow.project_id == project_id, StageRow.key == "needs-list")
            .values(state="in_progress", activated_at=people.now())
        )
        uow.commit()
    before = snapshot(people)
    with pytest.raises(InvalidInput, match="computed from the residents' answers"):
        commands.complete_stage(
            people,
            commands.CompleteStage(
                project_id=project_id, stage="needs-list", by="wangrb", evidence={"needs_items": "12"}
            ),
        )
    assert snapshot(people) == before
    outcome = commands.complete_stage(
        people, commands.CompleteStage(project_id=project_id, stage="needs-list", by="wangrb")
    )
    assert outcome.events[-1].data["evidence"]["needs_items"] == 2


def test_without_answers_the_typed_list_still_counts(people: App, project_id: int) -> None:
    with people.uow() as uow:
        uow.session.execute(
            update(StageRow)
            .where(StageRow.project_id == project_id, StageRow.key == "needs-survey")
            .values(state="approved", approved_at=people.now(), waiting_for=None)
        )
        uow.session.execute(
            update(StageRow)
            .where(StageRow.project_id == project_id, StageRow.key == "needs-list")
            .values(state="in_progress", activated_at=people.now())
        )
        uow.commit()
    outcome = commands.complete_stage(
        people,
        commands.CompleteStage(
            project_id=project_id, stage="needs-list", by="wangrb", evidence={"needs_items": "12"}
        ),
    )
    assert outcome.events[-1].data["evidence"]["needs_items"] == 12


def test_purge_takes_the_answers(people: App, project_id: int, survey: list[str]) -> None:
    menu = items(people, project_id)
    record_answer(people, project_id, survey[0], [menu["加装电梯"]])
    households.purge(people, project_id, by="zhangl")
    assert needs_tally(people, project_id).responses == 0
    with pytest.raises(NotFound, match="not in this project's register"):  # the code is gone
        record_answer(people, project_id, survey[0], [menu["加装电梯"]])
