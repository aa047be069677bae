"""Residents' needs survey (问需, ``models.needs``): the project's needs menu, a
household's answer (items ticked, a comment, problem points with a position and an
optional photo) on the public page or on paper (代录), the tally and the problem map.

The tally, the list-of-needs evidence and the problem map: ``services.needs_tally``.

Each answer is one transaction with its audit event: the household's id in the
register, the items chosen, the number of points and the channel — never its code,
address, comment or notes (those stay in the answer, seen by those who may see the
project). Photos are checked (content sniffed: a JPEG or PNG) and copied into the
attachment store before the transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel
from sqlalchemy import delete, func, select

from ..db.orm import HouseholdRow, NeedsAnswerRow, NeedsChoiceRow, NeedsItemRow, NeedsPointRow
from ..models.errors import InvalidInput, Localized, NotFound
from ..models.events import SYSTEM_ACTOR, Event, EventKind
from ..models.households import require_household
from ..models.needs import (
    CATEGORY_LABELS,
    DEFAULT_MENU,
    MAX_POINTS,
    Category,
    Channel,
    Datum,
    MenuItem,
    SurveyClosed,
    answer,
    check_comment,
    check_item_name,
    check_new_item,
    check_photo_name,
    check_points,
    choose,
    make_point,
    may_edit_menu,
    parse_coordinate,
    parse_menu_entry,
    survey_open,
)
from ..models.project import Project
from ..models.template import StageSpec
from .households import household_by_code, household_on_paper, unknown_household

if TYPE_CHECKING:
    from ..bootstrap import App
    from .unit_of_work import UnitOfWork

#: the actor of an answer given on the public page (no person signed in)


class PointInput(BaseModel):
    """A problem point as typed: ``lat``/``lng`` text in ``datum``; a photo by path."""

    category: str
    note: str = ""
    lat: str
    lng: str
    datum: str = Datum.GCJ02.value
    photo_path: str | None = None
    photo_filename: str | None = None


class AnswerReceipt(BaseModel):
    project_id: int
    stage: str
    stage_name: str
    stage_name_en: str | None
    items: list[int]
    points: int
    channel: str
    replaced: bool


class MenuEntry(BaseModel):
    id: int
    category: str
    category_zh: str
    category_en: str
    name: str
    retired: bool
    chosen_by: int


class MenuView(BaseModel):
    project_id: int
    items: list[MenuEntry]


# -- the stage --------------------------------------------------------------------------------------


def needs_stage(project: Project, stage: str | None = None) -> StageSpec:
    """The project's stage with ``needs:`` in its template (``stage``: by id or
    name); the first one in progress, else the first."""
    if stage is not None:
        spec = project.template.resolve_stage(stage)
        if spec.needs is None:
            raise InvalidInput(
                "stage {stage_name} takes no needs survey",
                field="stage",
                stage_name=Localized(spec.name, spec.name_en),
            )
        return spec
    specs = [s for s in project.template.stages if s.needs is not None]
    if not specs:
        raise NotFound("project {project} has no needs survey in its template", project=project.name)
    running = [s for s in specs if survey_open(project.stages[s.id].state, project.status)]
    return (running or specs)[0]


def has_needs_stage(app: App, project_id: int) -> bool:
    with app.reader() as uow:
        project = uow.projects.get(project_id)
    return any(s.needs is not None for s in project.template.stages)


# -- the menu ---------------------------------------------------------------------------------------


def _menu_rows(uow: UnitOfWork, project_id: int) -> list[NeedsItemRow]:
    return list(
        uow.session.scalars(
            select(NeedsItemRow)
            .where(NeedsItemRow.project_id == project_id)
            .order_by(NeedsItemRow.position, NeedsItemRow.id)
        )
    )


def _menu(rows: Sequence[NeedsItemRow]) -> list[MenuItem]:
    return [MenuItem(r.id, Category(r.category), r.name, r.retired) for r in rows]


def _copy_default(uow: UnitOfWork, project_id: int, now: dt.datetime) -> list[NeedsItemRow]:
    """The default menu copied into the project (its first use); the project is
    locked by the caller, so two first uses copy it once."""
    rows = _menu_rows(uow, project_id)
    if rows:
        return rows
    for position, (category, name, _) in enumerate(DEFAULT_MENU):
        uow.session.add(
            NeedsItemRow(
                project_id=project_id, category=category.value, name=name, position=position, created_at=now
            )
        )
    uow.session.flush()
    uow.events.append(
        project_id,
        [
            Event(
                EventKind.NEEDS_MENU_CHANGED,
                at=now,
                actor=SYSTEM_ACTOR,
                data={"action": "default", "items": len(DEFAULT_MENU)},
            )
        ],
    )
    return _menu_rows(uow, project_id)


def _virtual(item_id: int, rows: Sequence[NeedsItemRow], copied: bool) -> int:
    """A menu shown before the project had its own (the default, not yet copied in)
    numbers its items -1, -2, …; the first change copies the default in, and those
    numbers then name the copied items (only in that first change)."""
    if item_id >= 0 or not copied:
        return item_id
    position = -item_id - 1
    return next((row.id for row in rows if row.position == position), item_id)


def _chosen_counts(uow: UnitOfWork, project_id: int) -> dict[int, int]:
    return dict(
        uow.session.execute(
            select(NeedsChoiceRow.item_id, func.count())
            .join(NeedsAnswerRow, NeedsAnswerRow.id == NeedsChoiceRow.answer_id)
            .where(NeedsAnswerRow.project_id == project_id)
            .group_by(NeedsChoiceRow.item_id)
        ).all()
    )


def _menu_view(uow: UnitOfWork, project_id: int) -> MenuView:
    counts = _chosen_counts(uow, project_id)
    rows = _menu_rows(uow, project_id)
    listed = (
        [(row.id, Category(row.category), row.name, row.retired) for row in rows]
        if rows
        else [(-(i + 1), category, name, False) for i, (category, name, _) in enumerate(DEFAULT_MENU)]
    )
    items = []
    for item_id, category, name, retired in listed:
        label = CATEGORY_LABELS[category]
        items.append(
            MenuEntry(
                id=item_id,
                category=category.value,
                category_zh=label.zh,
                category_en=label.en or label.zh,
                name=name,
                retired=retired,
                chosen_by=counts.get(item_id, 0),
            )
        )
    return MenuView(project_id=project_id, items=items)


def menu_view(app: App, project_id: int) -> MenuView:
    """The project's menu; before its first change or answer, the default one (its
    items numbered -1, -2, …; nothing is written by looking)."""
    with app.reader() as uow:
        uow.projects.get(project_id)
        return _menu_view(uow, project_id)


def edit_menu(
    app: App,
    project_id: int,
    *,
    by: str,
    add: Sequence[str] = (),
    retire: Sequence[int] = (),
    rename: Sequence[tuple[int, str]] = (),
) -> MenuView:
    """A coordinator of the street adds items ("类别:名称"), renames and retires them.
    An item no household chose is deleted when retired; one that was chosen is kept,
    retired (answers refer to it). One transaction, one event per change."""
    parsed = [parse_menu_entry(text) for text in add]
    renamed = [(item_id, check_item_name(name)) for item_id, name in rename]
    now = app.acting_time().at
    with app.uow() as uow:
        actor = uow.people.resolve(by, field="by")
        project = uow.projects.get(project_id)
        may_edit_menu(actor, project)
        copied = not _menu_rows(uow, project_id)
        rows = _copy_default(uow, project_id, now)
        renamed = [(_virtual(item_id, rows, copied), name) for item_id, name in renamed]
        # each retired item as the page numbered it, so that a second press of 删除 (a
        # double click, a reload) finds the deletion recorded under that number
        shown_as = {_virtual(item_id, rows, copied): item_id for item_id in retire}
        retire = list(shown_as)
        by_id = {row.id: row for row in rows}
        counts = _chosen_counts(uow, project_id)
        events: list[Event] = []

        def known(item_id: int) -> NeedsItemRow:
            row = by_id.get(item_id)
            if row is None:
                raise NotFound("need #{item} is not on this project's menu", field="retire", item=item_id)
            return row

        for item_id, name in renamed:
            row = known(item_id)
            check_new_item(
                [m for m in _menu(by_id.values()) if m.id != item_id], Category(row.category), name
            )
            events.append(_menu_event(now, actor.id, "renamed", item_id, name, before=row.name))
            row.name = name
        deleted = _deleted_items(uow, project_id) if any(i not in by_id for i in retire) else set()
        for item_id in retire:
            if item_id not in by_id and item_id in deleted:
                continue  # deleted already: what was asked is done
            row = known(item_id)
            if row.retired:
                continue
            if counts.get(item_id):
                row.retired = True
                events.append(_menu_event(now, actor.id, "retired", item_id, row.name))
            else:
                shown = {"shown_as": str(shown_as[item_id])} if shown_as[item_id] != item_id else {}
                events.append(_menu_event(now, actor.id, "deleted", item_id, row.name, **shown))
                uow.session.delete(row)
                del by_id[item_id]
        position = max((r.position for r in by_id.values()), default=-1)
        for category, name in parsed:
            check_new_item(_menu(by_id.values()), category, name)
            position += 1
            row = NeedsItemRow(
                project_id=project_id, category=category.value, name=name, position=position, created_at=now
            )
            uow.session.add(row)
            uow.session.flush()
            by_id[row.id] = row
            events.append(_menu_event(now, actor.id, "added", row.id, name, category=category.value))
        uow.session.flush()
        if events:
            uow.events.append(project_id, events)
        view = _menu_view(uow, project_id)
        uow.commit()
    return view


def _deleted_items(uow: UnitOfWork, project_id: int) -> set[int]:
    """The items deleted from the project's menu, by their number and by the number
    the default menu showed them under before it was copied in (-1, -2, …)."""
    numbers: set[int] = set()
    for row in uow.events.for_project(project_id, (EventKind.NEEDS_MENU_CHANGED.value,)):
        if row.data.get("action") == "deleted":
            numbers.add(int(row.data["item"]))
            if "shown_as" in row.data:
                numbers.add(int(row.data["shown_as"]))
    return numbers


def _menu_event(now: dt.datetime, actor: str, action: str, item_id: int, name: str, **more: str) -> Event:
    return Event(
        EventKind.NEEDS_MENU_CHANGED,
        at=now,
        actor=actor,
        data={"action": action, "item": item_id, "name": name, **more},
    )


# -- an answer --------------------------------------------------------------------------------------


def _household(uow: UnitOfWork, project_id: int, text: str, *, by_room: bool) -> HouseholdRow:
    if by_room:  # the planner may name the home as people write it: 3-2-501
        return household_on_paper(uow, project_id, text)
    row = household_by_code(uow, project_id, text)
    if row is None:
        raise unknown_household(text)
    return row


def record_answer(
    app: App,
    project_id: int,
    code: str,
    needs: Sequence[int | str],
    *,
    comment: str | None = None,
    points: Sequence[PointInput] = (),
    by: str | None = None,
    stage: str | None = None,
) -> AnswerReceipt:
    """A household's answer: on the public page (``by`` None: the resident; the page
    must be published) or on paper recorded by ``by`` (the planner or a coordinator
    of the street; the household named by its code or its home, 3-2-501). While the
    needs-survey stage is in progress only; a later answer of the same household
    replaces the earlier one (counted once, audited as replaced)."""
    from .public import respondent

    require_household(code, or_home=by is not None)
    wanted = []
    for value in needs:
        text = str(value).strip().lstrip("#")
        digits = text.removeprefix("-")
        if not digits.isascii() or not digits.isdigit() or len(digits) > 9:
            raise InvalidInput(
                "need '{value}' is not a menu item number", field="need", value=str(value)[:20]
            )
        wanted.append(int(text, 10))
    remark = check_comment(comment)
    if len(points) > MAX_POINTS:
        raise InvalidInput("at most {limit} problem points per household", field="point", limit=MAX_POINTS)
    checked = []
    for index, point in enumerate(points):
        try:
            datum = Datum(point.datum)
        except ValueError:
            raise InvalidInput("unknown datum '{value}'", field="point", value=point.datum[:10]) from None
        made = make_point(
            point.category,
            point.note,
            parse_coordinate(point.lat, "latitude"),
            parse_coordinate(point.lng, "longitude"),
            datum,
        )
        if point.photo_path is not None:
            name = check_photo_name(point.photo_filename or Path(point.photo_path).name)
            app.attachments.check(Path(point.photo_path), name, field=f"photo.{index + 1}")
        checked.append(made)
    check_points(checked)
    now = app.acting_time().at
    with app.uow() as uow:
        project, channel, actor_id = respondent(uow, project_id, by)
        spec = needs_stage(project, stage)
        if not survey_open(project.stages[spec.id].state, project.status):
            raise SurveyClosed(Localized(spec.name, spec.name_en))
        household = _household(uow, project_id, code, by_room=by is not None)
        copied = not _menu_rows(uow, project_id)
        rows = _copy_default(uow, project_id, now)
        menu = {item.id: item for item in _menu(rows)}
        items = choose(menu, [_virtual(item_id, rows, copied) for item_id in wanted])
        row = uow.session.scalar(
            select(NeedsAnswerRow).where(
                NeedsAnswerRow.project_id == project_id,
                NeedsAnswerRow.stage_key == spec.id,
                NeedsAnswerRow.code == household.code,
            )
        )
        box: dict[str, tuple[int, ...]] = {}
        if row is not None:
            box[household.code] = tuple(
                uow.session.scalars(select(NeedsChoiceRow.item_id).where(NeedsChoiceRow.answer_id == row.id))
            )
        outcome = answer(box, household.code, items)
        if row is None:
            row = NeedsAnswerRow(
                project_id=project_id, stage_key=spec.id, code=household.code, first_answered_at=now
            )
            uow.session.add(row)
        else:
            uow.session.execute(delete(NeedsChoiceRow).where(NeedsChoiceRow.answer_id == row.id))
            uow.session.execute(delete(NeedsPointRow).where(NeedsPointRow.answer_id == row.id))
        row.comment, row.channel, row.answered_at = remark, channel.value, now
        row.recorded_by = None if channel is Channel.PUBLIC else actor_id
        uow.session.flush()
        for item_id in items:
            uow.session.add(NeedsChoiceRow(answer_id=row.id, item_id=item_id))
        for index, (made, given) in enumerate(zip(checked, points, strict=True)):
            photo = None
            if given.photo_path is not None:
                photo = app.attachments.store(
                    Path(given.photo_path),
                    check_photo_name(given.photo_filename or Path(given.photo_path).name),
                )
            uow.session.add(
                NeedsPointRow(
                    answer_id=row.id,
                    position=index,
                    category=made.category.value,
                    note=made.note,
                    lat=made.lat,
                    lng=made.lng,
                    datum=made.datum.value,
                    photo_name=photo.filename if photo else None,
                    photo_sha256=photo.sha256 if photo else None,
                    photo_size=photo.size if photo else None,
                    photo_stored_as=photo.stored_as if photo else None,
                )
            )
        uow.session.flush()
        kind = EventKind.NEEDS_ANSWER_REPLACED if outcome.is_replacement else EventKind.NEEDS_ANSWERED
        data: dict[str, object] = {
            "household": household.id,
            "items": list(items),
            "points": len(checked),
            "comment": remark is not None,
            "channel": channel.value,
        }
        if outcome.replaced is not None:
            data["replaced"] = list(outcome.replaced)
        uow.events.append(project_id, [Event(kind, at=now, actor=actor_id, stage=spec.id, data=data)])
        uow.commit()
    return AnswerReceipt(
        project_id=project_id,
        stage=spec.id,
        stage_name=spec.name,
        stage_name_en=spec.name_en,
        items=list(items),
        points=len(checked),
        channel=channel.value,
        replaced=outcome.is_replacement,
    )


__all__ = ["AnswerReceipt", "MenuView", "PointInput", "edit_menu", "menu_view", "record_answer"]
