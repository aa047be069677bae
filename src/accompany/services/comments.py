"""问计: residents' comments and objections during a stage's public notice
(``models.comments``). A household leaves a comment or an objection with its code on
the public page while the notice runs, or the planner records a paper one (代录); the
planner or a coordinator of the street answers each one once, and only the answer's
author amends it.

Each command is one transaction with its audit event: the household's id in the
register (never its code or address), the kind, the channel and the text."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pydantic import BaseModel
from sqlalchemy import func, select

from ..db.orm import CommentRow, HouseholdRow
from ..models.comments import (
    KIND_LABELS,
    Channel,
    CommentsClosed,
    Counts,
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
    may_answer,
    notice_window,
    parse_kind,
)
from ..models.deadlines import local_date
from ..models.errors import InvalidInput, Localized, NotFound, PermissionDenied, Refusals
from ..models.events import Event, EventKind
from ..models.households import require_household
from ..models.people import Person
from ..models.project import Project
from ..models.public_notice import NoticeCountdown, notice_countdown
from ..models.states import StageState
from ..models.template import StageSpec
from .households import RESIDENT_ACTOR, household_by_code, household_on_paper, unknown_household

if TYPE_CHECKING:
    from ..bootstrap import App
    from .unit_of_work import UnitOfWork

#: the actor of a comment left on the public page (no person signed in)


class CommentReceipt(BaseModel):
    project_id: int
    comment_id: int
    stage: str
    kind: str
    channel: str


class AnswerReceipt(BaseModel):
    project_id: int
    comment_id: int
    amended: bool


class CommentView(BaseModel):
    id: int
    kind: str
    kind_zh: str
    kind_en: str
    text: str
    left_at: dt.datetime
    left_on: dt.date
    channel: str
    answer: str | None
    answered_by: str | None
    answered_at: dt.datetime | None
    answered_on: dt.date | None = None  # Beijing date
    amended_on: dt.date | None = None  # the answer's last change (answered_on stays the first)
    building: str | None = None  # signed-in views only
    unit: str | None = None
    amendable: bool = False  # the viewer wrote its answer


class CommentsView(BaseModel):
    project_id: int
    stage: str
    stage_name: str
    stage_name_en: str | None
    state: str  # the stage's state
    open: bool  # residents may comment now
    first_day: dt.date | None
    last_day: dt.date | None
    comments: int
    objections: int
    answered: int
    unanswered_objections: int
    items: list[CommentView]
    can_answer: bool = False  # the viewer answers comments and records paper ones
    countdown: NoticeCountdown | None = None  # the 公示 as of today (public page)


def comments_stage(project: Project, stage: str | None = None) -> StageSpec:
    """The project's stage with ``comments:`` in its template (``stage``: by id or
    name); the first one in progress, else the first."""
    if stage is not None:
        spec = project.template.resolve_stage(stage)
        if spec.comments is None:
            raise InvalidInput(
                "stage {stage_name} takes no comments",
                field="stage",
                stage_name=Localized(spec.name, spec.name_en),
            )
        return spec
    specs = [s for s in project.template.stages if s.comments is not None]
    if not specs:
        raise NotFound("project {project} takes no comments in its template", project=project.name)
    running = [s for s in specs if project.stages[s.id].state is StageState.IN_PROGRESS]
    return (running or specs)[0]


def has_comments_stage(project: Project) -> bool:
    return any(s.comments is not None for s in project.template.stages)


def _window(project: Project, spec: StageSpec):  # type: ignore[no-untyped-def]
    activated = project.stages[spec.id].activated_at
    days = spec.deadline.notice_calendar_days
    if activated is None or days is None:
        return None
    return notice_window(local_date(activated), days)


def _name(spec: StageSpec) -> Localized:
    return Localized(spec.name, spec.name_en)


def _by_code(uow: UnitOfWork, project_id: int, code_text: str) -> HouseholdRow:
    row = household_by_code(uow, project_id, code_text)
    if row is None:
        raise unknown_household(code_text)
    return row


def leave_comment(
    app: App,
    project_id: int,
    household: str,
    kind: str,
    text: str,
    *,
    by: str | None = None,
    stage: str | None = None,
) -> CommentReceipt:
    """A household's comment or objection: on the public page (``by`` None: the
    resident, by code; the page must be published and the notice running) or on paper
    recorded by ``by`` (the planner or a coordinator of the street; by code or
    address) while the stage is in progress. At most ``per_household`` per household
    and stage."""
    from .public import is_published_in
    from .scope import ensure_visible

    refusals = Refusals()  # every problem of the form in one answer, a blank household with them
    refusals.check(require_household, household, or_home=by is not None)
    picked = refusals.check(parse_kind, kind)
    body = refusals.check(check_comment_text, text)
    refusals.raise_any()
    assert picked is not None and body is not None
    now = app.acting_time().at
    with app.uow() as uow:
        if by is not None:
            actor = uow.people.resolve(by, field="by")
            ensure_visible(uow, actor, project_id, now)
        project = uow.projects.get(project_id)  # locks the project: one comment after the other
        spec = comments_stage(project, stage)
        assert spec.comments is not None
        state = project.stages[spec.id].state
        if by is None:
            if not is_published_in(uow, project_id):
                raise NotFound("unknown project {project}", project=project_id)
            ensure_comments_open(_name(spec), state, project.status, _window(project, spec), local_date(now))
            row_household = _by_code(uow, project_id, household)
            channel, actor_id = Channel.PUBLIC, RESIDENT_ACTOR
        else:
            may_answer(actor, project)
            ensure_paper_open(_name(spec), state, project.status)
            row_household = household_on_paper(uow, project_id, household)
            channel, actor_id = Channel.PAPER, actor.id
        already = uow.session.scalar(
            select(func.count(CommentRow.id)).where(
                CommentRow.project_id == project_id,
                CommentRow.stage_key == spec.id,
                CommentRow.code == row_household.code,
            )
        )
        ensure_household_limit(int(already or 0), spec.comments.per_household)
        row = CommentRow(
            project_id=project_id,
            stage_key=spec.id,
            code=row_household.code,
            kind=picked.value,
            text=body,
            channel=channel.value,
            recorded_by=None if channel is Channel.PUBLIC else actor_id,
            left_at=now,
        )
        uow.session.add(row)
        uow.session.flush()
        data: dict[str, object] = {
            "comment": row.id,
            "household": row_household.id,
            "kind": picked.value,
            "channel": channel.value,
            "text": body,
        }
        uow.events.append(
            project_id, [Event(EventKind.COMMENT_LEFT, at=now, actor=actor_id, stage=spec.id, data=data)]
        )
        uow.commit()
        return CommentReceipt(
            project_id=project_id, comment_id=row.id, stage=spec.id, kind=picked.value, channel=channel.value
        )


def answer_comment(
    app: App, project_id: int, comment_id: int, text: str, *, by: str, amend: bool = False
) -> AnswerReceipt:
    """The planner's (or a coordinator's) answer to a comment: once; ``amend``: its
    author changes it (audited with the earlier text)."""
    from .scope import ensure_visible

    body = check_answer_text(text)
    now = app.acting_time().at
    with app.uow() as uow:
        actor = uow.people.resolve(by, field="by")
        ensure_visible(uow, actor, project_id, now)
        project = uow.projects.get(project_id)
        may_answer(actor, project)
        row = uow.session.scalar(
            select(CommentRow).where(CommentRow.project_id == project_id, CommentRow.id == comment_id)
        )
        if row is None:
            raise NotFound("unknown comment #{comment}", field="comment", comment=comment_id)
        data: dict[str, object] = {"comment": row.id, "text": body}
        if amend:
            ensure_author(row.id, row.answered_by, actor.id)
            data["previous"] = row.answer
            kind = EventKind.ANSWER_AMENDED
        else:
            ensure_unanswered(row.id, row.answered_by)
            kind = EventKind.COMMENT_ANSWERED
        row.answer, row.answered_by = body, actor.id
        if not amend:
            # answered when first answered: an amendment (its moment is in the log) does
            # not move the answer into another quarter, changing a report already handed in
            row.answered_at = now
        uow.session.flush()
        uow.events.append(project_id, [Event(kind, at=now, actor=actor.id, stage=row.stage_key, data=data)])
        uow.commit()
    return AnswerReceipt(project_id=project_id, comment_id=comment_id, amended=amend)


def stage_counts(uow: UnitOfWork, project_id: int, spec: StageSpec) -> Counts | None:
    """The comments of a stage counted (kind, answered); None when there is none."""
    rows = uow.session.execute(
        select(CommentRow.kind, CommentRow.answered_by).where(
            CommentRow.project_id == project_id, CommentRow.stage_key == spec.id
        )
    ).all()
    if not rows:
        return None
    return count((Kind(kind), answered is not None) for kind, answered in rows)


def stage_evidence(uow: UnitOfWork, project_id: int, spec: StageSpec, evidence: dict) -> dict:  # type: ignore[type-arg]
    """The evidence to mark a stage with ``comments:`` done: with comments, their
    summary replaces the typed objections text, and an unanswered objection refuses
    the completion (``models.comments.every_objection_answered``)."""
    if spec.comments is None:
        return evidence
    counts = stage_counts(uow, project_id, spec)
    if counts is None:
        return evidence
    every_objection_answered(_name(spec), counts, field=f"evidence.{spec.comments.evidence}")
    return {**evidence, spec.comments.evidence: comments_evidence(counts)}


def list_comments(
    app: App,
    project_id: int,
    *,
    by: str | None = None,
    public: bool = False,
    open_only: bool = False,
    stage: str | None = None,
) -> CommentsView:
    """The comments of the project's comments stage, newest first. ``public``: the
    published page's anonymous list (kind, date, text, answer); otherwise ``by`` must
    see the project and each comment names the household's building and unit."""
    with app.reader() as uow:
        if public:
            from .public import is_published_in

            if not is_published_in(uow, project_id):
                raise NotFound("unknown project {project}", project=project_id)
            project = uow.projects.get(project_id)
        else:
            from .scope import ensure_visible

            if by is not None:  # a person of the directory (the command line: its operator)
                actor = uow.people.resolve(by, field="by")
                ensure_visible(uow, actor, project_id, app.now())
            project = uow.projects.get(project_id)
        return comments_view(
            uow,
            project,
            comments_stage(project, stage),
            public=public,
            open_only=open_only,
            today=local_date(app.now()),
        )


def project_comments(app: App, person: Person, project_id: int) -> CommentsView | None:
    """The project page's comments as ``person`` sees them (the page checked that
    they may see the project): building and unit, whether they may answer, which
    answers are theirs; None when its template takes none."""
    with app.reader() as uow:
        return project_comments_in(app, uow, person, uow.projects.get(project_id))


def project_comments_in(app: App, uow: UnitOfWork, person: Person, project: Project) -> CommentsView | None:
    """As :func:`project_comments`, in the caller's unit of work on the project it
    already holds."""
    if not has_comments_stage(project):
        return None
    view = comments_view(uow, project, comments_stage(project), public=False, today=local_date(app.now()))
    try:
        may_answer(person, project)
    except PermissionDenied:
        return view
    view.can_answer = True
    for item in view.items:
        item.amendable = item.answered_by == person.id
    return view


def public_comments(app: App, project_id: int) -> CommentsView | None:
    """The public page's anonymous comments; None when the template takes none."""
    with app.reader() as uow:
        project = uow.projects.get(project_id)
        if not has_comments_stage(project):
            return None
        return comments_view(uow, project, comments_stage(project), public=True, today=local_date(app.now()))


def _answers_amended(uow: UnitOfWork, project_id: int | None) -> dict[int, dt.datetime]:
    """When each comment's answer was last changed (its amendments are in the log;
    the row keeps the first answer's moment, which the quarter's report counts)."""
    if project_id is None:
        return {}
    # in the log's order: a later amendment of a comment replaces an earlier one
    return {
        int(row.data["comment"]): row.occurred_at
        for row in uow.events.for_project(project_id, (EventKind.ANSWER_AMENDED.value,))
        if row.data.get("comment")
    }


def comments_view(
    uow: UnitOfWork,
    project: Project,
    spec: StageSpec,
    *,
    public: bool,
    today: dt.date,
    open_only: bool = False,
) -> CommentsView:
    query = (
        select(CommentRow, HouseholdRow.building, HouseholdRow.unit)
        .outerjoin(
            HouseholdRow,
            (HouseholdRow.project_id == CommentRow.project_id) & (HouseholdRow.code == CommentRow.code),
        )
        .where(CommentRow.project_id == project.id, CommentRow.stage_key == spec.id)
        .order_by(CommentRow.left_at.desc(), CommentRow.id.desc())
    )
    rows = uow.session.execute(query).all()
    counts = count((Kind(r.kind), r.answered_by is not None) for r, _, _ in rows)
    amended = _answers_amended(uow, project.id) if any(r.answered_by for r, _, _ in rows) else {}
    items = []
    for row, building, unit in rows:
        if open_only and row.answered_by is not None:
            continue
        label = KIND_LABELS[Kind(row.kind)]
        items.append(
            CommentView(
                id=row.id,
                kind=row.kind,
                kind_zh=label.zh,
                kind_en=label.en or label.zh,
                text=row.text,
                left_at=row.left_at,
                left_on=local_date(row.left_at),
                channel=row.channel,
                answer=row.answer,
                answered_by=None if public else row.answered_by,
                answered_at=row.answered_at,
                answered_on=local_date(row.answered_at) if row.answered_at else None,
                amended_on=local_date(amended[row.id]) if row.id in amended else None,
                building=None if public else building,
                unit=None if public else unit,
            )
        )
    window = _window(project, spec)
    try:
        ensure_comments_open(_name(spec), project.stages[spec.id].state, project.status, window, today)
        open_now = True
    except CommentsClosed:
        open_now = False
    return CommentsView(
        project_id=project.id,
        stage=spec.id,
        stage_name=spec.name,
        stage_name_en=spec.name_en,
        state=project.stages[spec.id].state.value,
        open=open_now,
        first_day=window.first_day if window else None,
        last_day=window.last_day if window else None,
        comments=counts.comments,
        objections=counts.objections,
        answered=counts.answered,
        unanswered_objections=counts.unanswered_objections,
        items=items,
        countdown=notice_countdown(window.first_day, window.last_day, today) if window else None,
    )


def kind_label(kind: str, lang: str) -> str:
    return KIND_LABELS[Kind(kind)].text(lang)


__all__ = [
    "AnswerReceipt",
    "CommentReceipt",
    "CommentsView",
    "answer_comment",
    "leave_comment",
    "list_comments",
    "stage_evidence",
]
