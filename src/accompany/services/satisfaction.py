"""Residents' satisfaction survey (问效, ``models.satisfaction``): a household scores
the renovation's content, process and long-term management (1–5) with its code on
the public page, or the planner or a coordinator records its paper answer (代录); a
later answer replaces the earlier one; the tally averages each dimension and counts
the satisfied households against the register.

Each answer is one transaction with its audit event: the household's id in the
register, the three scores, whether there is a comment and the channel — never its
code, address, contact or the comment's text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel
from sqlalchemy import select

from ..db.orm import HouseholdRow, SatisfactionRow
from ..models.consent import Channel
from ..models.errors import AccompanyError, InvalidInput, Localized, NotFound, Refusals
from ..models.events import Event, EventKind
from ..models.households import may_manage_households, require_household
from ..models.people import Person
from ..models.project import Project
from ..models.satisfaction import (
    DIMENSION_LABELS,
    DIMENSIONS,
    Answer,
    SurveyClosed,
    SurveyTally,
    answer_summary,
    give,
    make_answer,
    round_pct,
    survey_open,
    tally,
)
from ..models.template import StageSpec
from .households import household_by_code, household_on_paper, unknown_household

if TYPE_CHECKING:
    from ..bootstrap import App
    from .unit_of_work import UnitOfWork

#: the actor of an answer given on the public page (no person signed in)


class AnswerReceipt(BaseModel):
    project_id: int
    stage: str
    stage_name: str
    stage_name_en: str | None
    content: int
    process: int
    management: int
    channel: str
    replaced: bool


class DimensionView(BaseModel):
    key: str
    label_zh: str
    label_en: str
    average: float | None  # two decimals; None without answers


class SurveyView(BaseModel):
    """The survey's aggregates (what the public page may show: no household, no comment)."""

    project_id: int
    stage: str
    stage_name: str
    stage_name_en: str | None
    state: str
    open: bool
    households: int  # in the register
    respondents: int
    response_rate_pct: float | None
    satisfied: int
    satisfaction_pct: float | None
    dimensions: list[DimensionView]
    paper_answers: int


class CommentView(BaseModel):
    """A comment as the planner reads it (escaped where shown)."""

    household: int
    text: str
    channel: str


def survey_stage(project: Project, stage: str | None = None) -> StageSpec:
    """The project's stage with ``satisfaction:`` in its template (``stage``: by id
    or name, when there are several); the first one in progress, else the first."""
    if stage is not None:
        spec = project.template.resolve_stage(stage)
        if spec.satisfaction is None:
            raise InvalidInput(
                "stage {stage_name} takes no satisfaction survey",
                field="stage",
                stage_name=Localized(spec.name, spec.name_en),
            )
        return spec
    specs = [s for s in project.template.stages if s.satisfaction is not None]
    if not specs:
        raise NotFound("project {project} has no satisfaction survey in its template", project=project.name)
    running = [s for s in specs if survey_open(project.stages[s.id].state, project.status)]
    return (running or specs)[0]


def _household(uow: UnitOfWork, project_id: int, text: str, *, by_room: bool) -> HouseholdRow:
    """The household by its code (unknown, purged or another project's: the consent
    ballot's message, nothing said of which) or (``by_room``: a paper answer) by its
    home as written, 3-2-501."""
    if by_room:
        return household_on_paper(uow, project_id, text)
    row = household_by_code(uow, project_id, text)
    if row is None:
        raise unknown_household(text)
    return row


def give_answer(
    app: App,
    project_id: int,
    household: str,
    content: object,
    process: object,
    management: object,
    comment: str | None = None,
    *,
    by: str | None = None,
    stage: str | None = None,
) -> AnswerReceipt:
    """A household's answer: on the public page (``by`` None: the resident with its
    code, the page must be published) or on paper recorded by ``by`` (the planner or
    a coordinator of the street; the household by code or by home, 3-2-501). While
    the survey's stage is in progress only; a second answer of the same household
    replaces the first (counted once, audited as replaced)."""
    from .public import respondent

    # a household left blank is one more problem of the form, told with the scores'
    refusals = Refusals()
    refusals.check(require_household, household, or_home=by is not None)
    answer = refusals.check(make_answer, content, process, management, comment)
    refusals.raise_any()
    assert answer is not None
    now = app.acting_time().at
    with app.uow() as uow:
        project, channel, actor_id = respondent(uow, project_id, by)
        spec = survey_stage(project, stage)
        if not survey_open(project.stages[spec.id].state, project.status):
            raise SurveyClosed(Localized(spec.name, spec.name_en))
        home = _household(uow, project_id, household, by_room=by is not None)
        row = uow.session.scalar(
            select(SatisfactionRow).where(
                SatisfactionRow.project_id == project_id,
                SatisfactionRow.stage_key == spec.id,
                SatisfactionRow.code == home.code,
            )
        )
        box = {home.code: _answer(row)} if row is not None else {}
        outcome = give(box, home.code, answer, channel)
        if row is None:
            row = SatisfactionRow(project_id=project_id, stage_key=spec.id, code=home.code, created_at=now)
            uow.session.add(row)
        row.content, row.process, row.management = answer.content, answer.process, answer.management
        row.comment, row.channel, row.answered_at = answer.comment, channel.value, now
        row.recorded_by = None if channel is Channel.PUBLIC else actor_id
        uow.session.flush()
        kind = EventKind.SATISFACTION_REPLACED if outcome.is_replacement else EventKind.SATISFACTION_ANSWERED
        data: dict[str, object] = {"household": home.id, **answer_summary(answer), "channel": channel.value}
        if outcome.replaced is not None:
            data["replaced"] = answer_summary(outcome.replaced)
        uow.events.append(project_id, [Event(kind, at=now, actor=actor_id, stage=spec.id, data=data)])
        uow.commit()
    return AnswerReceipt(
        project_id=project_id,
        stage=spec.id,
        stage_name=spec.name,
        stage_name_en=spec.name_en,
        content=answer.content,
        process=answer.process,
        management=answer.management,
        channel=channel.value,
        replaced=outcome.is_replacement,
    )


def _answer(row: SatisfactionRow) -> Answer:
    return Answer(row.content, row.process, row.management, row.comment)


def _rows(uow: UnitOfWork, project_id: int, spec: StageSpec) -> list[SatisfactionRow]:
    return list(
        uow.session.scalars(
            select(SatisfactionRow)
            .where(SatisfactionRow.project_id == project_id, SatisfactionRow.stage_key == spec.id)
            .order_by(SatisfactionRow.id)
        )
    )


def _register(uow: UnitOfWork, project_id: int) -> list[str]:
    return list(uow.session.scalars(select(HouseholdRow.code).where(HouseholdRow.project_id == project_id)))


def stage_survey(uow: UnitOfWork, project_id: int, spec: StageSpec) -> SurveyTally | None:
    """The tally of a survey stage's answers against the current register; None when
    no household answered."""
    assert spec.satisfaction is not None
    rows = _rows(uow, project_id, spec)
    if not rows:
        return None
    return tally(_register(uow, project_id), {r.code: _answer(r) for r in rows})


def survey_tally(app: App, project_id: int, *, stage: str | None = None, public: bool = False) -> SurveyView:
    """The survey's aggregates (``public``: only for a published page, else the
    project is unknown). Without any answer every count is zero."""
    from .public import is_published_in

    with app.reader() as uow:
        project = uow.projects.get(project_id)
        if public and not is_published_in(uow, project_id):
            raise NotFound("unknown project {project}", project=project_id)
        return survey_view(uow, project, survey_stage(project, stage))


def survey_view(uow: UnitOfWork, project: Project, spec: StageSpec) -> SurveyView:
    """The tally of ``spec``'s answers, read in the caller's unit of work from the
    project it already holds."""
    project_id = project.id
    assert project_id is not None
    rows = _rows(uow, project_id, spec)
    register = _register(uow, project_id)
    state = project.stages[spec.id].state
    open_now = survey_open(state, project.status)
    result = tally(register, {r.code: _answer(r) for r in rows})
    known = set(register)
    rate = result.response_rate
    return SurveyView(
        project_id=project_id,
        stage=spec.id,
        stage_name=spec.name,
        stage_name_en=spec.name_en,
        state=state.value,
        open=open_now,
        households=result.register,
        respondents=result.respondents,
        response_rate_pct=None if rate is None else round_pct(rate),
        satisfied=result.satisfied,
        satisfaction_pct=result.satisfaction_pct,
        dimensions=[
            DimensionView(
                key=d.value,
                label_zh=DIMENSION_LABELS[d].zh,
                label_en=DIMENSION_LABELS[d].en or DIMENSION_LABELS[d].zh,
                average=None if (avg := result.average(d)) is None else round(float(avg), 2),
            )
            for d in DIMENSIONS
        ],
        paper_answers=sum(1 for r in rows if r.channel == Channel.PAPER.value and r.code in known),
    )


def survey_comments(app: App, project_id: int, *, by: str, stage: str | None = None) -> list[CommentView]:
    """The households' comments, oldest answer first, for the planner or a
    coordinator of the street (never on the public page)."""
    with app.reader() as uow:
        actor = uow.people.resolve(by, field="by")
        project = uow.projects.get(project_id)
        may_manage_households(actor, project)
        return comments_in(uow, project, survey_stage(project, stage))


def comments_in(uow: UnitOfWork, project: Project, spec: StageSpec) -> list[CommentView]:
    project_id = project.id
    ids = dict(
        uow.session.execute(
            select(HouseholdRow.code, HouseholdRow.id).where(HouseholdRow.project_id == project_id)
        ).all()
    )
    return [
        CommentView(household=ids[r.code], text=r.comment, channel=r.channel)
        for r in _rows(uow, project_id, spec)  # type: ignore[arg-type]
        if r.comment and r.code in ids
    ]


def project_survey(
    uow: UnitOfWork, project: Project, person: Person
) -> tuple[SurveyView | None, list[CommentView]]:
    """For the project page, in the caller's unit of work: the survey's tally (None
    when the template has none) and, for those who manage the residents' data, the
    households' comments."""
    if not any(s.satisfaction is not None for s in project.template.stages):
        return None, []
    spec = survey_stage(project)
    try:
        may_manage_households(person, project)
    except AccompanyError:
        return survey_view(uow, project, spec), []
    return survey_view(uow, project, spec), comments_in(uow, project, spec)


def has_survey_stage(app: App, project_id: int) -> bool:
    with app.reader() as uow:
        project = uow.projects.get(project_id)
    return any(s.satisfaction is not None for s in project.template.stages)


__all__ = ["AnswerReceipt", "SurveyView", "give_answer", "stage_survey", "survey_tally"]
