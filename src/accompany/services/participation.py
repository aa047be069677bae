"""Reading the residents' data for the quarterly report's participation section
(``models.participation`` says which activity counts): the registers loaded before
the cut-off of the projects in scope, and their needs answers, comments, consent
ballots and satisfaction answers up to the cut-off. Codes stay here: the report
holds counts only. Also returns the lines the report's inputs checksum covers —
none when no project had residents' activity, so such reports keep their checksum."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import select

from ..db.orm import (
    BallotRow,
    CommentRow,
    HouseholdRow,
    NeedsAnswerRow,
    ProjectRow,
    SatisfactionRow,
    TemplateRow,
)
from ..models.consent import Home, Rule
from ..models.participation import Ballot, Comment, Residents, participation


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def residents_participation(
    session: Any,
    start: dt.datetime,
    cutoff: dt.datetime,
    district: str | None = None,
    street: str | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any], list[str]]:
    """The participation rows, the overall figures and the checksum lines (all empty
    without residents' activity in the quarter) of the projects in scope."""
    scope = select(ProjectRow.id).where(
        ProjectRow.id.in_(select(HouseholdRow.project_id).where(HouseholdRow.loaded_at < cutoff))
    )
    if district:
        scope = scope.where(ProjectRow.district_id == district)
    if street:
        scope = scope.where(ProjectRow.street_id == street)
    if session.scalar(scope.limit(1)) is None:
        return [], {}, []
    ids = scope.scalar_subquery()  # the projects in scope with a register (no long IN list)
    registers: dict[int, dict[str, Home]] = defaultdict(dict)
    for project_id, code, area, owners in session.execute(
        select(HouseholdRow.project_id, HouseholdRow.code, HouseholdRow.area_centi, HouseholdRow.owners)
        .where(HouseholdRow.project_id.in_(ids), HouseholdRow.loaded_at < cutoff)
        .order_by(HouseholdRow.project_id, HouseholdRow.position, HouseholdRow.id)
    ):
        registers[project_id][code] = Home(area, owners)
    needs: dict[int, list[tuple[str, dt.datetime]]] = defaultdict(list)
    for project_id, code, at in session.execute(
        select(NeedsAnswerRow.project_id, NeedsAnswerRow.code, NeedsAnswerRow.first_answered_at)
        .where(NeedsAnswerRow.project_id.in_(ids), NeedsAnswerRow.first_answered_at < cutoff)
        .order_by(NeedsAnswerRow.id)
    ):
        needs[project_id].append((code, _utc(at)))
    after: dict[int, list[tuple[str, dt.datetime]]] = defaultdict(list)
    for project_id, code, at in session.execute(
        select(SatisfactionRow.project_id, SatisfactionRow.code, SatisfactionRow.created_at)
        .where(SatisfactionRow.project_id.in_(ids), SatisfactionRow.created_at < cutoff)
        .order_by(SatisfactionRow.id)
    ):
        after[project_id].append((code, _utc(at)))
    comments: dict[int, list[Comment]] = defaultdict(list)
    for project_id, code, kind, left, answered in session.execute(
        select(
            CommentRow.project_id,
            CommentRow.code,
            CommentRow.kind,
            CommentRow.left_at,
            CommentRow.answered_at,
        )
        .where(CommentRow.project_id.in_(ids), CommentRow.left_at < cutoff)
        .order_by(CommentRow.id)
    ):
        comments[project_id].append(Comment(code, kind, _utc(left), _utc(answered)))  # type: ignore[arg-type]
    ballots: dict[tuple[int, str], list[Ballot]] = defaultdict(list)
    for project_id, stage, code, choice, at in session.execute(
        select(BallotRow.project_id, BallotRow.stage_key, BallotRow.code, BallotRow.choice, BallotRow.cast_at)
        .where(BallotRow.project_id.in_(ids), BallotRow.cast_at < cutoff)
        .order_by(BallotRow.id)
    ):
        ballots[project_id, stage].append(Ballot(code, choice, _utc(at)))  # type: ignore[arg-type]
    inputs = []
    templates: dict[int, list[dict[str, Any]]] = {}
    projects = session.execute(
        select(
            ProjectRow.id,
            ProjectRow.name,
            ProjectRow.district_id,
            ProjectRow.street_id,
            ProjectRow.template_pk,
        )
        .where(ProjectRow.id.in_(ids))
        .order_by(ProjectRow.id)
    ).all()
    for project in projects:
        if project.template_pk not in templates:
            template = session.get(TemplateRow, project.template_pk)
            templates[project.template_pk] = template.body.get("stages", []) if template else []
        consent_stages = [s for s in templates[project.template_pk] if s.get("consent")]
        # the first consent stage with ballots (a template has one, as a rule)
        voted = [s for s in consent_stages if ballots.get((project.id, s["id"]))] or consent_stages[:1]
        spec = voted[0] if voted else None
        inputs.append(
            Residents(
                project_id=project.id,
                name=project.name,
                district=project.district_id,
                street=project.street_id,
                register=registers.get(project.id, {}),
                needs=needs.get(project.id, []),
                comments=comments.get(project.id, []),
                consent_rule=Rule(spec["consent"]["rule"]) if spec else None,
                ballots=ballots.get((project.id, spec["id"]), []) if spec else [],
                satisfaction=after.get(project.id, []),
            )
        )
    rows, overall = participation(inputs, start, cutoff)
    if not rows:
        return [], {}, []
    shown = {r["project_id"] for r in rows if r["level"] == "project"}
    lines = []
    for item in inputs:
        if item.project_id not in shown:
            continue
        lines.append(
            f"residents {item.project_id} {item.consent_rule} "
            f"register {sorted((c, h.area_centi, h.owners) for c, h in item.register.items())} "
            f"needs {sorted((c, a.isoformat()) for c, a in item.needs)} "
            f"comments {sorted((c.code, c.kind, str(c.left_at), str(c.answered_at)) for c in item.comments)} "
            f"ballots {sorted((b.code, b.choice, b.cast_at.isoformat()) for b in item.ballots)} "
            f"satisfaction {sorted((c, a.isoformat()) for c, a in item.satisfaction)}\n"
        )
    return rows, overall, lines
