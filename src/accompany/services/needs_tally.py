"""The needs survey's aggregates (``models.needs``): the tally of a needs stage's
answers (each menu item, the households choosing it and their share), the
list-of-needs evidence it computes, and the problem points for the project page's
map and their photos (for those who may see the project)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel
from sqlalchemy import func, select

from ..db.orm import NeedsAnswerRow, NeedsChoiceRow, NeedsPointRow
from ..models.errors import NotFound
from ..models.needs import (
    CATEGORY_LABELS,
    POINT_COLOURS,
    POINT_LABELS,
    Channel,
    PointCategory,
    Tally,
    survey_open,
    tally,
)
from ..models.project import Project
from ..models.template import StageSpec
from .needs import MenuView, _menu, _menu_rows, _menu_view, needs_stage

if TYPE_CHECKING:
    from ..bootstrap import App
    from .unit_of_work import UnitOfWork


class TallyEntry(BaseModel):
    id: int
    name: str
    category: str
    category_zh: str
    category_en: str
    retired: bool
    households: int
    share: float  # of the responding households, 0..1


class TallyView(BaseModel):
    """The survey's aggregates (what the public page may show: counts only)."""

    project_id: int
    stage: str
    stage_name: str
    stage_name_en: str | None
    state: str
    open: bool
    responses: int
    paper: int
    items_chosen: int
    points: int
    items_stage: str
    items_key: str
    # the evidence item's label on the list of needs (需求条目数 / items on the list of needs)
    items_label: str
    items_label_en: str | None
    rows: list[TallyEntry]


class MapPoint(BaseModel):
    """A problem point for those who may see the project (never on the public page)."""

    number: int
    id: int
    category: str
    category_zh: str
    category_en: str
    colour: str
    note: str
    lat: float
    lng: float
    datum: str
    has_photo: bool


def stage_tally(uow: UnitOfWork, project_id: int, spec: StageSpec) -> tuple[Tally, int, int] | None:
    """The tally of a needs stage's answers, with the number of paper answers and of
    problem points; None when no household answered."""
    answers = uow.session.execute(
        select(NeedsAnswerRow.id, NeedsAnswerRow.channel).where(
            NeedsAnswerRow.project_id == project_id, NeedsAnswerRow.stage_key == spec.id
        )
    ).all()
    if not answers:
        return None
    ids = [a.id for a in answers]
    chosen: dict[int, list[int]] = {answer_id: [] for answer_id in ids}
    for answer_id, item_id in uow.session.execute(
        select(NeedsChoiceRow.answer_id, NeedsChoiceRow.item_id).where(NeedsChoiceRow.answer_id.in_(ids))
    ):
        chosen[answer_id].append(item_id)
    points = uow.session.scalar(select(func.count()).where(NeedsPointRow.answer_id.in_(ids))) or 0
    result = tally(_menu(_menu_rows(uow, project_id)), chosen)
    paper = sum(1 for a in answers if a.channel == Channel.PAPER.value)
    return result, paper, points


def items_evidence_tally(uow: UnitOfWork, project: Project, spec: StageSpec) -> tuple[str, Tally] | None:
    """For a stage whose evidence a needs survey computes (its list of needs): the
    evidence key and the tally of the survey's answers; None otherwise or without
    answers."""
    assert project.id is not None
    for survey in project.template.stages:
        if survey.needs is not None and survey.needs.items_stage == spec.id:
            found = stage_tally(uow, project.id, survey)
            if found is not None:
                return survey.needs.items_key, found[0]
    return None


def needs_tally(app: App, project_id: int, *, stage: str | None = None, public: bool = False) -> TallyView:
    """The survey's aggregates (``public``: only for a published page, else the
    project is unknown)."""
    from .public import is_published_in

    with app.reader() as uow:
        project = uow.projects.get(project_id)
        if public and not is_published_in(uow, project_id):
            raise NotFound("unknown project {project}", project=project_id)
        return tally_view(uow, project, needs_stage(project, stage))


def tally_view(uow: UnitOfWork, project: Project, spec: StageSpec) -> TallyView:
    """The tally of ``spec``'s answers, in the caller's unit of work on the project it
    already holds."""
    assert spec.needs is not None and project.id is not None
    project_id = project.id
    found = stage_tally(uow, project_id, spec)
    result, paper, points = found if found is not None else (tally([], {}), 0, 0)
    state = project.stages[spec.id].state
    open_now = survey_open(state, project.status)
    field = project.template.stage(spec.needs.items_stage).field(spec.needs.items_key)
    rows = []
    for row in result.rows:
        label = CATEGORY_LABELS[row.item.category]
        rows.append(
            TallyEntry(
                id=row.item.id,
                name=row.item.name,
                category=row.item.category.value,
                category_zh=label.zh,
                category_en=label.en or label.zh,
                retired=row.item.retired,
                households=row.households,
                share=float(row.share),
            )
        )
    return TallyView(
        project_id=project_id,
        stage=spec.id,
        stage_name=spec.name,
        stage_name_en=spec.name_en,
        state=state.value,
        open=open_now,
        responses=result.responses,
        paper=paper,
        items_chosen=result.items_chosen,
        points=points,
        items_stage=spec.needs.items_stage,
        items_key=spec.needs.items_key,
        items_label=field.label if field else spec.needs.items_key,
        items_label_en=field.label_en if field else None,
        rows=rows,
    )


def problem_points(app: App, project_id: int) -> list[MapPoint]:
    """The problem points of the project's answers, numbered in the order they were
    given; the caller has checked that the person may see the project."""
    with app.reader() as uow:
        return points_in(uow, project_id)


def points_in(uow: UnitOfWork, project_id: int) -> list[MapPoint]:
    """As :func:`problem_points`, in the caller's unit of work."""
    rows = uow.session.execute(
        select(NeedsPointRow)
        .join(NeedsAnswerRow, NeedsAnswerRow.id == NeedsPointRow.answer_id)
        .where(NeedsAnswerRow.project_id == project_id)
        .order_by(NeedsAnswerRow.first_answered_at, NeedsAnswerRow.id, NeedsPointRow.position)
    ).scalars()
    points = []
    for number, row in enumerate(rows, start=1):
        category = PointCategory(row.category)
        label = POINT_LABELS[category]
        points.append(
            MapPoint(
                number=number,
                id=row.id,
                category=category.value,
                category_zh=label.zh,
                category_en=label.en or label.zh,
                colour=POINT_COLOURS[category],
                note=row.note,
                lat=row.lat,
                lng=row.lng,
                datum=row.datum,
                has_photo=row.photo_stored_as is not None,
            )
        )
    return points


class NeedsBlock(BaseModel):
    """The needs survey as the project page shows it: the tally, the menu and the
    problem points."""

    tally: TallyView
    menu: MenuView
    points: list[MapPoint]


def project_needs(uow: UnitOfWork, project: Project) -> NeedsBlock | None:
    """The project page's needs block, in the caller's unit of work on the project it
    already holds; None when its template takes no needs survey."""
    if project.id is None or not any(s.needs is not None for s in project.template.stages):
        return None
    return NeedsBlock(
        tally=tally_view(uow, project, needs_stage(project)),
        menu=_menu_view(uow, project.id),
        points=points_in(uow, project.id),
    )


def point_photo(app: App, person_id: str, point_id: int):  # type: ignore[no-untyped-def]
    """A problem point's photo, for someone who may see its project."""
    from .project_view import StoredAttachment
    from .scope import visible_project_ids

    with app.reader() as uow:
        person = uow.people.resolve(person_id, field="by")
        row = uow.session.execute(
            select(
                NeedsPointRow.photo_name,
                NeedsPointRow.photo_stored_as,
                NeedsPointRow.photo_size,
                NeedsAnswerRow.project_id,
            )
            .join(NeedsAnswerRow, NeedsAnswerRow.id == NeedsPointRow.answer_id)
            .where(NeedsPointRow.id == point_id)
        ).first()
        if (
            row is None
            or row.photo_stored_as is None
            or not visible_project_ids(uow, person, [row.project_id], app.now())
        ):
            raise NotFound("unknown photo {photo}", photo=point_id)
    path = app.attachments.open(row.photo_stored_as)
    return StoredAttachment(path=str(path), filename=row.photo_name, size=row.photo_size or 0)


__all__ = ["MapPoint", "TallyView", "needs_tally", "problem_points", "stage_tally"]
