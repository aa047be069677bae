"""``POST /api/v1/projects/{id}/migrate``: move one project to a newer version of its
template — a dry run answers the plan, otherwise the move is made — with the rules
of ``models.migration`` and the permissions of the caller (a coordinator of the
project's street, or the district)."""

# no ``from __future__ import annotations``: FastAPI reads the routes' annotations,
# and ``Who`` is only a local name here (the API module imports this one)
import datetime as dt
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from ..services import worklists
from ..services.migration import MigrateProjects, migrate_projects
from .context import record_id


class MigrateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: str = Field(max_length=80, description="the target version, e.g. accompany-service@2")
    stages: dict[str, str | None] = Field(
        default_factory=dict, description="the stage mapping: old stage id → new id, or null (removed)"
    )
    due: dict[str, dt.date] = Field(
        default_factory=dict, description="dates of the new version's set-at-start deadlines, by stage id"
    )
    dry_run: bool = Field(default=False, description="answer the plan, change nothing")


class StageMove(BaseModel):
    change: str
    from_: str | None = Field(alias="from")
    to: str | None
    state: str
    evidence: int
    files: int
    deadline: str
    due: str | None


class MigrationAnswer(BaseModel):
    """The move: from and to which version, each stage's fate, the parameters
    dropped and added, the events recorded (none on a dry run)."""

    project_id: int
    dry_run: bool
    template_from: str
    template_to: str
    stages: list[StageMove]
    params_dropped: list[str]
    params_added: dict[str, Any]
    events: list[dict[str, Any]]


def add_migration_routes(api: FastAPI, prefix: str) -> None:
    from .api import Who, _event  # the API module defines the caller; it registers these routes

    @api.post(
        f"{prefix}/projects/{{project_id}}/migrate",
        response_model=MigrationAnswer,
        response_model_by_alias=True,
        tags=["project life"],
    )
    def migrate(who: Who, project_id: str, body: MigrateBody) -> MigrationAnswer:
        """Move the project to a newer version of its template (refused, nothing
        changed, if it would lose approved work)."""
        view = worklists.project_view(
            who.app, who.person, record_id(project_id, "project"), with_events=False
        )
        command = MigrateProjects(
            project_ids=[view.detail.id],
            template=body.to,
            mapping={"stages": body.stages} if body.stages else None,
            dues=body.due,
            dry_run=body.dry_run,
            by=who.person.id,
        )
        moved = migrate_projects(who.app, command).projects[0]
        return MigrationAnswer(
            project_id=moved.project_id,
            dry_run=body.dry_run,
            template_from=moved.plan.template_from,
            template_to=moved.plan.template_to,
            stages=[StageMove.model_validate(row) for row in moved.rows],
            params_dropped=list(moved.plan.params_dropped),
            params_added=dict(moved.plan.params_added),
            events=[] if body.dry_run else [_event(e) for e in moved.events],
        )
