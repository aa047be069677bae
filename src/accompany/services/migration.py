"""Moving running projects to a newer version of their template
(`accompany template migrate`, ``POST /api/v1/projects/{id}/migrate``).

All or nothing: every listed project is checked first (``models.migration``); if
any is refused, none moves and every refusal is named, per project. Otherwise one
transaction stores the target version's snapshot, moves each project (its stages
re-keyed, added, removed; its template and parameters switched) and records
``project.migrated`` with the stage plan in the event log — with its hash chain and
the outbox like any command. A dry run does all of it and rolls back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import Field
from sqlalchemy import select

from ..db.migrating import residents_input, save_migrated
from ..db.orm import ProjectRow, TemplateRow
from ..models.errors import AccompanyError, InvalidInput, Localized
from ..models.events import Event
from ..models.migration import (
    MigrationPlan,
    MigrationRefused,
    apply_migration,
    migration_target_fits,
    plan_migration,
    plan_rows,
    stage_mapping,
)
from ..models.people import Person
from ..models.rules import Action, not_before_project_history
from ..models.states import ProjectStatus
from ..models.template import ProcessTemplate
from ..templates import template_ref
from .commands import Command
from .recording import record

if TYPE_CHECKING:
    from ..bootstrap import App

#: who acts when the operator at the server moves projects without ``--by`` (the
#: audit log records the operating-system user beside it)
OPERATOR = "operator"


class MigrateProjects(Command):
    project_ids: list[int] = Field(default_factory=list)
    # the target, as typed: accompany-service@2 (no version: the newest)
    template: str
    # every active project on this version too (accompany-service@1)
    from_template: str | None = None
    # the mapping file's content: {stages: {old-id: new-id | null}}
    mapping: dict[str, Any] | None = None
    # set-at-start deadlines of the new version: stage id → date
    dues: dict[str, dt.date] = Field(default_factory=dict)
    dry_run: bool = False
    # the person acting (id or name); None: the operator
    by: str | None = None


@dataclass
class MovedProject:
    """One project's move: its plan, and the plan's rows with the due dates the
    project has after the move."""

    project_id: int
    name: str
    plan: MigrationPlan
    rows: list[dict[str, Any]]
    events: list[Event] = field(default_factory=list)
    # the stages' names before (old ids) and after (new ids) the move
    names_before: dict[str, Localized] = field(default_factory=dict)
    names_after: dict[str, Localized] = field(default_factory=dict)


@dataclass
class MigrationResult:
    template: str
    dry_run: bool
    projects: list[MovedProject]


def migrate_projects(app: App, cmd: MigrateProjects) -> MigrationResult:
    """Check every project, then move them all (or, on a dry run, none)."""
    time = app.acting_time()
    now = time.at
    source = app.catalog.get(*template_ref(cmd.template))
    target = source.template
    with app.uow() as uow:
        actor: Person | None = uow.people.resolve(cmd.by, field="by") if cmd.by else None
        ids = _selected(uow, cmd)
        template_row = uow.templates.snapshot(source.body, now)
        refusals: list[tuple[int, AccompanyError]] = []
        checked = []
        for project_id in ids:
            project = uow.projects.get(project_id)
            if actor is not None:
                project.ensure_project_allowed(actor, Action.MIGRATE)
            not_before_project_history(
                project, Action.MIGRATE, time, uow.events.last_lifecycle_at(project_id)
            )
            problem = migration_target_fits(project, target)
            if problem is not None:
                refusals.append((project_id, problem))
                continue
            mapping = stage_mapping(cmd.mapping, project.template, target)
            params = {k: v for k, v in project.params.items() if k in target.parameters}
            dropped = sorted(set(project.params) - set(params))
            added = {k: v for k, v in target.parameters.items() if k not in project.template.parameters}
            try:
                new = uow.templates.parsed(template_row, params)
            except InvalidInput as exc:
                refusals.append((project_id, exc))
                continue
            plan = plan_migration(
                project,
                new,
                mapping,
                dues=cmd.dues,
                residents=residents_input(uow.projects, project_id),
                params_dropped=dropped,
                params_added=added,
                today=_local_day(now),
            )
            refusals += [(project_id, problem) for problem in plan.refusals]
            checked.append((project, new, plan, params))
        if refusals:
            raise MigrationRefused(target.ref, refusals)
        moved = []
        for project, new, plan, params in checked:
            assert project.id is not None
            before = _names(project.template)
            events = apply_migration(
                project,
                plan,
                new,
                params,
                dues=cmd.dues,
                actor=actor.id if actor else OPERATOR,
                now=now,
                calendar=app.calendar,
            )
            moved.append(
                MovedProject(
                    project.id, project.name, plan, plan_rows(plan, project), events, before, _names(new)
                )
            )
            if not cmd.dry_run:
                save_migrated(
                    uow.projects,
                    project,
                    template_pk=template_row.pk,
                    renames=plan.renames(),
                    removed=plan.removed(),
                )
                record(app, uow, project, events)
        if not cmd.dry_run:
            uow.commit()
    return MigrationResult(target.ref, cmd.dry_run, moved)


def _selected(uow: Any, cmd: MigrateProjects) -> list[int]:
    """The listed projects and, with ``from_template``, every active project on that
    version; none at all is refused."""
    ids = list(dict.fromkeys(cmd.project_ids))
    if cmd.from_template:
        name, version = template_ref(cmd.from_template)
        if version is None:
            raise InvalidInput(
                "--from {template}: give the version the projects run on, e.g. {template}@1",
                field="from",
                template=name[:64],
            )
        rows = uow.session.scalars(
            select(ProjectRow.id)
            .join(TemplateRow, TemplateRow.pk == ProjectRow.template_pk)
            .where(
                TemplateRow.template_id == name,
                TemplateRow.version == version,
                ProjectRow.status == ProjectStatus.ACTIVE.value,
            )
            .order_by(ProjectRow.id)
        )
        ids += [i for i in rows if i not in ids]
    if not ids:
        raise InvalidInput("no project to move: give project ids or --from TEMPLATE@VERSION", field="project")
    return sorted(ids)


def _names(template: ProcessTemplate) -> dict[str, Localized]:
    return {spec.id: Localized(spec.name, spec.name_en) for spec in template.stages}


def _local_day(moment: dt.datetime) -> dt.date:
    from ..models.deadlines import local_date

    return local_date(moment)
