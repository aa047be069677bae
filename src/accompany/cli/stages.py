"""`accompany` CLI — acting on a project's stages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from .common import (
    By,
    DbOption,
    NowOption,
    console,
    handle_errors,
    lang_of,
    make_app,
    pairs,
)

stage_app = typer.Typer(help="Act on a project's stages.", no_args_is_help=True)


ProjectId = Annotated[int, typer.Argument(help="project id")]
StageId = Annotated[str, typer.Argument(help="stage id, e.g. needs-survey")]


def _run_and_report(db: str | None, now: str | None, action) -> None:  # type: ignore[no-untyped-def]
    from .render import outcome_line

    application = make_app(db, now)
    outcome = action(application)
    console.print("✓ " + outcome_line(outcome.events, outcome.project_id, lang_of(application)))


@stage_app.command("done")
@handle_errors
def stage_done(
    project_id: ProjectId,
    stage: StageId,
    by: By,
    evidence: Annotated[
        list[str] | None, typer.Option("--evidence", "-e", help="KEY=VALUE, repeatable")
    ] = None,
    attach: Annotated[
        list[str] | None,
        typer.Option("--attach", "-a", help="FILE, or KEY=FILE for a required file (problem_map=map.pdf)"),
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="a note for the approver")] = None,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    """Mark a stage done with its participation evidence (the project's planner)."""
    from ..services.commands import AttachmentInput, CompleteStage, complete_stage

    attachments = []
    for value in attach or []:
        match = re.match(r"^([a-z][a-z0-9_]*)=(.+)$", value)
        if match and not Path(value).exists():
            attachments.append(AttachmentInput(key=match.group(1), path=match.group(2)))
        else:
            attachments.append(AttachmentInput(path=value))
    command = CompleteStage(
        project_id=project_id,
        stage=stage,
        by=by,
        evidence=pairs(evidence, "--evidence"),
        attachments=attachments,
        note=note,
    )
    _run_and_report(db, now, lambda application: complete_stage(application, command))


@stage_app.command("approve")
@handle_errors
def stage_approve(
    project_id: ProjectId,
    stage: StageId,
    by: By,
    comment: Annotated[str | None, typer.Option("--comment", help="optional comment")] = None,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    """Approve a done stage at the level it waits for (street office, then district)."""
    from ..services.commands import DecideApproval, decide_approval

    command = DecideApproval(project_id=project_id, stage=stage, by=by, decision="approve", comment=comment)
    _run_and_report(db, now, lambda application: decide_approval(application, command))


@stage_app.command("return")
@handle_errors
def stage_return(
    project_id: ProjectId,
    stage: StageId,
    by: By,
    reason: Annotated[str, typer.Option("--reason", help="what the planner must fix (退回原因)")],
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    """Return (退回) a done stage to the planner with a reason."""
    from ..services.commands import DecideApproval, decide_approval

    command = DecideApproval(project_id=project_id, stage=stage, by=by, decision="return", comment=reason)
    _run_and_report(db, now, lambda application: decide_approval(application, command))


@stage_app.command("pause")
@handle_errors
def stage_pause(
    project_id: ProjectId,
    stage: StageId,
    by: By,
    reason: Annotated[str, typer.Option("--reason", help="why the clock stops (e.g. 冬季停工)")],
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    """Pause a stage's deadline clock (coordinators)."""
    from ..services.commands import PauseClock, pause_clock

    command = PauseClock(project_id=project_id, stage=stage, by=by, reason=reason)
    _run_and_report(db, now, lambda application: pause_clock(application, command))


@stage_app.command("resume")
@handle_errors
def stage_resume(
    project_id: ProjectId,
    stage: StageId,
    by: By,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    """Resume a paused clock; the deadline moves by the working days it was paused."""
    from ..services.commands import ResumeClock, resume_clock

    command = ResumeClock(project_id=project_id, stage=stage, by=by)
    _run_and_report(db, now, lambda application: resume_clock(application, command))


@stage_app.command("extend")
@handle_errors
def stage_extend(
    project_id: ProjectId,
    stage: StageId,
    by: By,
    days: Annotated[int, typer.Option("--days", help="working days asked for")],
    reason: Annotated[str, typer.Option("--reason", help="why more time is needed")],
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    """Ask the street office for more working days (the project's planner)."""
    from ..services.commands import RequestExtension, request_extension

    command = RequestExtension(project_id=project_id, stage=stage, by=by, working_days=days, reason=reason)
    _run_and_report(db, now, lambda application: request_extension(application, command))


@stage_app.command("grant-extension")
@handle_errors
def stage_grant_extension(
    project_id: ProjectId,
    stage: StageId,
    by: By,
    days: Annotated[
        int | None, typer.Option("--days", help="grant fewer working days than requested")
    ] = None,
    comment: Annotated[str | None, typer.Option("--comment")] = None,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    """Grant a waiting extension request (street office)."""
    from ..services.commands import DecideExtension, decide_extension

    command = DecideExtension(
        project_id=project_id, stage=stage, by=by, grant=True, working_days=days, comment=comment
    )
    _run_and_report(db, now, lambda application: decide_extension(application, command))


@stage_app.command("refuse-extension")
@handle_errors
def stage_refuse_extension(
    project_id: ProjectId,
    stage: StageId,
    by: By,
    reason: Annotated[str, typer.Option("--reason", help="why the extension is refused")],
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    """Refuse a waiting extension request, with a reason (street office)."""
    from ..services.commands import DecideExtension, decide_extension

    command = DecideExtension(project_id=project_id, stage=stage, by=by, grant=False, comment=reason)
    _run_and_report(db, now, lambda application: decide_extension(application, command))
