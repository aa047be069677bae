"""Writing a project moved to another template version (``models.migration``):
the stage rows re-keyed, added and removed, the project pointed at the new
snapshot — and the rows that name a stage by its key (residents' ballots, survey
answers, comments, needs answers, queued notifications) following a rename."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from ..models.errors import Conflict
from ..models.project import Project
from .orm import (
    ApprovalRow,
    AttachmentRow,
    BallotRow,
    ClockPauseRow,
    CommentRow,
    ExtensionRow,
    NeedsAnswerRow,
    NotificationRow,
    ProjectRow,
    SatisfactionRow,
    StageRow,
)
from .projects import STALE_MESSAGE, ProjectRepository
from .stage_rows import stage_values

P, S = ProjectRow.__table__, StageRow.__table__
#: the residents' input kept per stage key (a removed stage must hold none)
RESIDENT_TABLES = (BallotRow, SatisfactionRow, CommentRow, NeedsAnswerRow)
#: every table naming a stage by its key besides the stages (and the append-only log)
KEYED_TABLES = (*RESIDENT_TABLES, NotificationRow)


def residents_input(repository: ProjectRepository, project_id: int) -> dict[str, int]:
    """The residents' answers per stage key of a project: ballots, satisfaction
    answers, comments and needs answers."""
    counts: dict[str, int] = {}
    connection = repository.session.connection()
    for row_type in RESIDENT_TABLES:
        table = row_type.__table__  # type: ignore[attr-defined]
        query = (
            select(table.c.stage_key, func.count())
            .where(table.c.project_id == project_id)
            .group_by(table.c.stage_key)
        )
        for key, count in connection.execute(query):
            counts[key] = counts.get(key, 0) + int(count)
    return counts


def save_migrated(
    repository: ProjectRepository,
    project: Project,
    *,
    template_pk: int,
    renames: Mapping[str, str],
    removed: Sequence[str],
) -> None:
    """Write ``project`` as :func:`models.migration.apply_migration` left it:
    ``renames`` (old key → new key of every carried stage), ``removed`` (old keys).
    Each carried stage row and the project row are updated with their version
    check, like any command's write."""
    assert project.id is not None
    connection = repository.session.connection()
    project_version, versions = repository.stage_versions(project.id)
    gone = [versions[key][0] for key in removed]
    if gone:
        for child in (ApprovalRow, AttachmentRow, ClockPauseRow, ExtensionRow):
            table = child.__table__  # type: ignore[attr-defined]
            connection.execute(delete(table).where(table.c.stage_id.in_(gone)))
        connection.execute(delete(S).where(S.c.id.in_(gone)))
    moved = {old: new for old, new in renames.items() if old != new}
    # a rename may take a key another stage gives up in the same move: park first
    for old in moved:
        connection.execute(update(S).where(S.c.id == versions[old][0]).values(key=f"~{versions[old][0]}"))
    new_versions: dict[str, tuple[int, int]] = {}
    for old, new in renames.items():
        stage_id, version = versions[old]
        stage = project.stages[new]
        result = connection.execute(
            update(S)
            .where(S.c.id == stage_id, S.c.version == version)
            .values(
                **stage_values(stage),
                key=new,
                position=stage.position,
                phase=project.template.stage(new).phase,
                version=version + 1,
            )
        )
        if result.rowcount != 1:
            raise Conflict(STALE_MESSAGE)
        new_versions[new] = (stage_id, version + 1)
        repository.write_children(connection, stage, stage_id)
    added = [key for key in project.stages if key not in new_versions]
    for key in added:
        stage = project.stages[key]
        stage_id = connection.execute(
            insert(S)
            .values(
                **stage_values(stage),
                project_id=project.id,
                key=key,
                position=stage.position,
                phase=project.template.stage(key).phase,
                version=1,
            )
            .returning(S.c.id)
        ).scalar_one()
        new_versions[key] = (stage_id, 1)
        repository.write_children(connection, stage, stage_id)
    # residents' records and queued notifications follow a rename (parked first, as
    # the stages); a notification's dedupe key names its stage too, so a reminder
    # already queued for the stage is not queued again under its new id
    for step in (lambda old: (old, f"~{old}"[:64]), lambda old: (f"~{old}"[:64], moved[old])):
        for old in moved:
            source, target = step(old)
            for row_type in KEYED_TABLES:
                table = row_type.__table__  # type: ignore[attr-defined]
                values: dict[str, Any] = {"stage_key": target}
                if row_type is NotificationRow:
                    values["dedupe_key"] = func.replace(
                        table.c.dedupe_key, f"|{project.id}|{source}|", f"|{project.id}|{target}|"
                    )
                connection.execute(
                    update(table)
                    .where(table.c.project_id == project.id, table.c.stage_key == source)
                    .values(**values)
                )
    project_values: dict[str, Any] = {
        "template_pk": template_pk,
        "params": project.params,
        "status": project.status.value,
        "completed_at": project.completed_at,
        "version": project_version + 1,
    }
    result = connection.execute(
        update(P).where(P.c.id == project.id, P.c.version == project_version).values(**project_values)
    )
    if result.rowcount != 1:
        raise Conflict(STALE_MESSAGE)
    repository.remember(project.id, project_version + 1, new_versions)
    project.touched.clear()
    project.project_touched = False
