"""Residents' consent ballots (Civil Code Art. 278, ``models.consent``): a household
casts agree / disagree / abstain with its code on the public page, or the planner or
a coordinator records its paper ballot (代录); a later ballot replaces the earlier
one; the tally counts households, owners and floor area against the register.

Each ballot is one transaction with its audit event: the household's id in the
register, the choice and the channel (public or paper) — never its code, address
or contact."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel
from sqlalchemy import select

from ..db.orm import BallotRow, HouseholdRow
from ..models.consent import (
    CHOICE_LABELS,
    OUTCOME_LABELS,
    RULE_LABELS,
    BallotClosed,
    Channel,
    Choice,
    Home,
    Rule,
    Tally,
    ballot_open,
    cast,
    failed_conditions,
    parse_choice,
    tally,
)
from ..models.errors import InvalidInput, Localized, NotFound, Refusals
from ..models.events import Event, EventKind
from ..models.households import require_household
from ..models.project import Project
from ..models.template import StageSpec
from .households import household_by_code, unknown_household

if TYPE_CHECKING:
    from ..bootstrap import App
    from .unit_of_work import UnitOfWork

#: the actor of a ballot cast on the public page (no person signed in)


class BallotReceipt(BaseModel):
    project_id: int
    stage: str
    stage_name: str
    stage_name_en: str | None
    choice: str
    channel: str
    replaced: str | None  # the earlier choice this ballot replaced


class Part(BaseModel):
    households: int
    owners: int
    area_m2: float


class TallyView(BaseModel):
    """A ballot's aggregates (what the public page may show: counts only)."""

    project_id: int
    stage: str
    stage_name: str
    stage_name_en: str | None
    state: str
    open: bool
    rule: str
    rule_label_zh: str
    rule_label_en: str
    total: Part
    participating: Part
    agreeing: Part
    disagreeing: Part
    abstaining: Part
    participation_area_ok: bool
    participation_owners_ok: bool
    approval_area_ok: bool
    approval_owners_ok: bool
    passed: bool
    held: bool  # a household cast a ballot; without any there is no verdict (models.consent.Outcome)
    outcome: str  # not_held / passed / not_passed
    verdict_zh: str
    verdict_en: str
    failed: list[str]
    paper_ballots: int


def consent_stage(project: Project, stage: str | None = None) -> StageSpec:
    """The project's stage with ``consent:`` in its template (``stage``: by id or
    name, when there are several); the first one in progress, else the first."""
    if stage is not None:
        spec = project.template.resolve_stage(stage)
        if spec.consent is None:
            raise InvalidInput(
                "stage {stage_name} takes no consent ballot",
                field="stage",
                stage_name=Localized(spec.name, spec.name_en),
            )
        return spec
    specs = [s for s in project.template.stages if s.consent is not None]
    if not specs:
        raise NotFound("project {project} has no consent ballot in its template", project=project.name)
    running = [s for s in specs if ballot_open(project.stages[s.id].state, project.status)]
    return (running or specs)[0]


def _household(uow: UnitOfWork, project_id: int, code_text: str) -> HouseholdRow:
    row = household_by_code(uow, project_id, code_text)
    if row is None:
        raise unknown_household(code_text)
    return row


def cast_ballot(
    app: App,
    project_id: int,
    code: str,
    choice: str,
    *,
    by: str | None = None,
    stage: str | None = None,
) -> BallotReceipt:
    """A household's ballot: on the public page (``by`` None: the resident, the page
    must be published) or on paper recorded by ``by`` (the planner or a coordinator of
    the street). While the consent stage is in progress only; a second ballot of the
    same household replaces the first (counted once, audited as replaced)."""
    from .public import respondent

    refusals = Refusals()  # a blank code is told with a missing choice, not looked up
    refusals.check(require_household, code)
    picked = refusals.check(parse_choice, choice)
    refusals.raise_any()
    assert picked is not None
    now = app.acting_time().at
    with app.uow() as uow:
        project, channel, actor_id = respondent(uow, project_id, by)
        spec = consent_stage(project, stage)
        if not ballot_open(project.stages[spec.id].state, project.status):
            raise BallotClosed(Localized(spec.name, spec.name_en))
        household = _household(uow, project_id, code)
        row = uow.session.scalar(
            select(BallotRow).where(
                BallotRow.project_id == project_id,
                BallotRow.stage_key == spec.id,
                BallotRow.archived_round == 0,
                BallotRow.code == household.code,
            )
        )
        box = {household.code: Choice(row.choice)} if row is not None else {}
        outcome = cast(box, household.code, picked, channel)
        if row is None:
            row = BallotRow(project_id=project_id, stage_key=spec.id, code=household.code, archived_round=0)
            uow.session.add(row)
        row.choice, row.channel, row.cast_at = picked.value, channel.value, now
        row.recorded_by = None if channel is Channel.PUBLIC else actor_id
        uow.session.flush()
        kind = EventKind.BALLOT_REPLACED if outcome.is_replacement else EventKind.BALLOT_CAST
        data: dict[str, object] = {
            "household": household.id,
            "choice": picked.value,
            "channel": channel.value,
        }
        if outcome.replaced is not None:
            data["replaced"] = outcome.replaced.value
        uow.events.append(project_id, [Event(kind, at=now, actor=actor_id, stage=spec.id, data=data)])
        uow.commit()
    return BallotReceipt(
        project_id=project_id,
        stage=spec.id,
        stage_name=spec.name,
        stage_name_en=spec.name_en,
        choice=picked.value,
        channel=channel.value,
        replaced=outcome.replaced.value if outcome.replaced else None,
    )


def stage_tally(uow: UnitOfWork, project_id: int, spec: StageSpec) -> tuple[Tally, int, int] | None:
    """The Art. 278 tally of a consent stage's ballots against the current register,
    with the number of ballots and of paper ballots; None when no ballot was cast."""
    assert spec.consent is not None
    ballots = uow.session.execute(
        select(BallotRow.code, BallotRow.choice, BallotRow.channel).where(
            BallotRow.project_id == project_id,
            BallotRow.stage_key == spec.id,
            BallotRow.archived_round == 0,  # the running round (models.loop)
        )
    ).all()
    if not ballots:
        return None
    register = {
        code: Home(area, owners)
        for code, area, owners in uow.session.execute(
            select(HouseholdRow.code, HouseholdRow.area_centi, HouseholdRow.owners).where(
                HouseholdRow.project_id == project_id
            )
        )
    }
    result = tally(register, {code: Choice(choice) for code, choice, _ in ballots}, Rule(spec.consent.rule))
    paper = sum(1 for code, _, channel in ballots if channel == Channel.PAPER.value and code in register)
    return result, len(ballots), paper


def _part(count) -> Part:  # type: ignore[no-untyped-def]
    return Part(households=count.households, owners=count.owners, area_m2=count.area_centi / 100)


def consent_tally(app: App, project_id: int, *, stage: str | None = None, public: bool = False) -> TallyView:
    """The ballot's aggregates (``public``: only for a published page, else the
    project is unknown). Without any ballot every count is zero and no ballot
    was held (未使用线上表决): neither passed nor failed."""
    from .public import is_published_in

    with app.reader() as uow:
        project = uow.projects.get(project_id)
        if public and not is_published_in(uow, project_id):
            raise NotFound("unknown project {project}", project=project_id)
        return tally_view(uow, project, consent_stage(project, stage))


def project_tally(uow: UnitOfWork, project: Project) -> TallyView | None:
    """The tally of the project's consent stage (as :func:`consent_stage` picks it),
    read in the caller's unit of work from the project it already holds; None when
    its template has no consent ballot."""
    if not any(s.consent is not None for s in project.template.stages):
        return None
    return tally_view(uow, project, consent_stage(project))


def tally_view(uow: UnitOfWork, project: Project, spec: StageSpec) -> TallyView:
    assert spec.consent is not None
    project_id = project.id
    found = stage_tally(uow, project_id, spec)
    if found is None:
        register = {
            str(i): Home(area, owners)
            for i, (area, owners) in enumerate(
                uow.session.execute(
                    select(HouseholdRow.area_centi, HouseholdRow.owners).where(
                        HouseholdRow.project_id == project_id
                    )
                )
            )
        }
        result, paper = tally(register, {}, Rule(spec.consent.rule)), 0
    else:
        result, _, paper = found
    state = project.stages[spec.id].state
    open_now = ballot_open(state, project.status)
    rule = RULE_LABELS[result.rule]
    verdict = OUTCOME_LABELS[result.outcome]
    return TallyView(
        project_id=project_id,
        stage=spec.id,
        stage_name=spec.name,
        stage_name_en=spec.name_en,
        state=state.value,
        open=open_now,
        rule=result.rule.value,
        rule_label_zh=rule.zh,
        rule_label_en=rule.en or rule.zh,
        total=_part(result.total),
        participating=_part(result.participating),
        agreeing=_part(result.agreeing),
        disagreeing=_part(result.disagreeing),
        abstaining=_part(result.abstaining),
        participation_area_ok=result.participation_area_ok,
        participation_owners_ok=result.participation_owners_ok,
        approval_area_ok=result.approval_area_ok,
        approval_owners_ok=result.approval_owners_ok,
        passed=result.passed,
        held=result.held,
        outcome=result.outcome.value,
        verdict_zh=verdict.zh,
        verdict_en=verdict.en or verdict.zh,
        failed=failed_conditions(result),
        paper_ballots=paper,
    )


def has_consent_stage(app: App, project_id: int) -> bool:
    with app.reader() as uow:
        project = uow.projects.get(project_id)
    return any(s.consent is not None for s in project.template.stages)


def choice_label(choice: str, lang: str) -> str:
    return CHOICE_LABELS[Choice(choice)].text(lang)


__all__ = ["BallotReceipt", "TallyView", "cast_ballot", "consent_tally", "project_tally", "stage_tally"]
