"""`accompany` CLI — acting on a project's stages. Stages, people and evidence are
named by id or by name (`stage done 1 需求调研 --by 王若冰 -e 入户访谈户数=36`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from .common import By, DbOption, NowOption, console, handle_errors, lang_of, make_app, pairs, project_number
from .help import T

stage_app = typer.Typer(help=T("Act on a project's stages."), no_args_is_help=True)

ProjectId = Annotated[str, typer.Argument(help=T("project id"))]
StageId = Annotated[str, typer.Argument(help=T("stage id or name, e.g. needs-survey or 需求调研"))]
Reason = Annotated[str, typer.Option("--reason", help=T("why (the reader sees it)"))]
FILE_KEY = re.compile(r"^([^=/\\]+)=(.+)$")


def _run_and_report(db: str | None, now: str | None, action) -> None:  # type: ignore[no-untyped-def]
    from rich.text import Text

    from ..models.deadlines import local_date
    from ..services.queries import stage_labels
    from .render import outcome_line

    application = make_app(db, now)
    outcome = action(application)
    names = stage_labels(application, outcome.project_id)
    today = local_date(application.now())
    console.print(
        Text("✓ ") + outcome_line(outcome.events, outcome.project_id, lang_of(application), names, today)
    )


def attachments_of(values: list[str] | None) -> list:  # type: ignore[type-arg]
    """``--attach FILE`` or ``--attach KEY=FILE`` (KEY: the evidence id or label);
    a key given twice is refused, like a repeated ``--evidence``."""
    from ..models.errors import InvalidInput
    from ..services.commands import AttachmentInput

    out, seen = [], set()
    for value in values or []:
        match = FILE_KEY.match(value)
        if match and not Path(value).exists():
            key, path = match.group(1).strip(), match.group(2)
            if key in seen:
                raise InvalidInput("{option} {key} is given twice", option="--attach", key=key[:60])
            seen.add(key)
            out.append(AttachmentInput(key=key, path=path))
        else:
            out.append(AttachmentInput(path=value))
    return out


@stage_app.command(
    "done", help=T("Mark a stage done with its participation evidence (the project's planner).")
)
@handle_errors
def stage_done(
    project_id: ProjectId,
    stage: StageId,
    by: By,
    evidence: Annotated[
        list[str] | None, typer.Option("--evidence", "-e", help=T("KEY=VALUE (key or label), repeatable"))
    ] = None,
    attach: Annotated[
        list[str] | None,
        typer.Option(
            "--attach", "-a", help=T("FILE, or KEY=FILE for a file the stage asks for (问题地图=map.pdf)")
        ),
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help=T("a note for the approver"))] = None,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    from ..services.commands import CompleteStage, complete_stage

    command = CompleteStage(
        project_id=project_number(project_id),
        stage=stage,
        by=by,
        evidence=pairs(evidence, "--evidence"),
        attachments=attachments_of(attach),
        note=note,
    )
    _run_and_report(db, now, lambda application: complete_stage(application, command))


@stage_app.command(
    "approve", help=T("Approve a done stage at the level it waits for (street office, then district).")
)
@handle_errors
def stage_approve(
    project_id: ProjectId,
    stage: StageId,
    by: By,
    comment: Annotated[str | None, typer.Option("--comment", help=T("optional comment"))] = None,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    from ..services.commands import DecideApproval, decide_approval

    command = DecideApproval(
        project_id=project_number(project_id), stage=stage, by=by, decision="approve", comment=comment
    )
    _run_and_report(db, now, lambda application: decide_approval(application, command))


@stage_app.command(
    "show",
    help=T("One stage: its state, what it waits for and, in a joint signing, who signed and who is awaited."),
)
@handle_errors
def stage_show(project_id: ProjectId, stage: StageId, db: DbOption = None, now: NowOption = None) -> None:
    from ..labels import label
    from ..models.delegation import on_behalf_label
    from ..services.queries import show_project
    from .render import signing_text, text

    application = make_app(db, now)
    detail = show_project(application, project_number(project_id))
    lang = lang_of(application)
    spec_id = None
    for s in detail.stages:
        if stage.strip().casefold() in (s.key.casefold(), s.name.casefold()):
            spec_id = s.key
    if spec_id is None:
        from ..models.errors import NotFound

        raise NotFound("unknown stage '{stage}' in project {project}", stage=stage[:64], project=detail.id)
    s = next(x for x in detail.stages if x.key == spec_id)
    state = label("state", s.state, lang)
    if s.waiting_for:
        state += " → " + label("level", s.waiting_for, lang)
    console.print(text(f"{s.name} ({s.key}): {state}"))
    signing = signing_text(s, lang)
    if signing is not None:
        console.print(signing)
    for a in s.approvals:
        by = on_behalf_label(a.by_name, a.on_behalf_of_name, lang)
        console.print(
            text(f"  r{a.round} {label('level', a.level, lang)} {label('decision', a.decision, lang)} {by}")
        )


@stage_app.command("return", help=T("Return (退回) a done stage to the planner with a reason."))
@handle_errors
def stage_return(
    project_id: ProjectId,
    stage: StageId,
    by: By,
    reason: Reason,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    from ..services.commands import DecideApproval, decide_approval

    command = DecideApproval(
        project_id=project_number(project_id), stage=stage, by=by, decision="return", comment=reason
    )
    _run_and_report(db, now, lambda application: decide_approval(application, command))


@stage_app.command("pause", help=T("Pause a stage's deadline clock (coordinators)."))
@handle_errors
def stage_pause(
    project_id: ProjectId,
    stage: StageId,
    by: By,
    reason: Reason,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    from ..services.commands import PauseClock, pause_clock

    command = PauseClock(project_id=project_number(project_id), stage=stage, by=by, reason=reason)
    _run_and_report(db, now, lambda application: pause_clock(application, command))


@stage_app.command(
    "resume", help=T("Resume a paused clock; the deadline moves by the working days it was paused.")
)
@handle_errors
def stage_resume(
    project_id: ProjectId,
    stage: StageId,
    by: By,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    from ..services.commands import ResumeClock, resume_clock

    command = ResumeClock(project_id=project_number(project_id), stage=stage, by=by)
    _run_and_report(db, now, lambda application: resume_clock(application, command))


@stage_app.command("extend", help=T("Ask the street office for more working days (the project's planner)."))
@handle_errors
def stage_extend(
    project_id: ProjectId,
    stage: StageId,
    by: By,
    days: Annotated[str, typer.Option("--days", help=T("working days asked for"))],
    reason: Reason,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    from ..services.commands import RequestExtension, request_extension

    command = RequestExtension(
        project_id=project_number(project_id),
        stage=stage,
        by=by,
        working_days=whole_days(days),
        reason=reason,
    )
    _run_and_report(db, now, lambda application: request_extension(application, command))


@stage_app.command("grant-extension", help=T("Grant a waiting extension request (street office)."))
@handle_errors
def stage_grant_extension(
    project_id: ProjectId,
    stage: StageId,
    by: By,
    days: Annotated[
        str | None, typer.Option("--days", help=T("grant fewer working days than requested"))
    ] = None,
    comment: Annotated[str | None, typer.Option("--comment", help=T("optional comment"))] = None,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    from ..services.commands import DecideExtension, decide_extension

    command = DecideExtension(
        project_id=project_number(project_id),
        stage=stage,
        by=by,
        grant=True,
        working_days=whole_days(days) if days is not None else None,
        comment=comment,
    )
    _run_and_report(db, now, lambda application: decide_extension(application, command))


@stage_app.command(
    "refuse-extension", help=T("Refuse a waiting extension request, with a reason (street office).")
)
@handle_errors
def stage_refuse_extension(
    project_id: ProjectId,
    stage: StageId,
    by: By,
    reason: Reason,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    from ..services.commands import DecideExtension, decide_extension

    command = DecideExtension(
        project_id=project_number(project_id), stage=stage, by=by, grant=False, comment=reason
    )
    _run_and_report(db, now, lambda application: decide_extension(application, command))


def whole_days(text: str) -> int:
    """A number of working days as typed (full-width digits too, as the web form
    reads them): a whole number, or one line naming --days, not a usage box. Below 1
    or too many is the rule's to say, with its range (as on the web)."""
    from ..models.errors import InvalidInput
    from ..models.text import typed_whole_number

    days = typed_whole_number(text, digits=4)
    if days is None:
        raise InvalidInput(
            "--days: '{value}' is not a whole number of working days", field="days", value=text[:20]
        )
    return days


@stage_app.command(
    "undo",
    help=T(
        "Undo (撤回) the stage's last approval or return: only the person who gave it, only while nothing "
        "happened since, within ACCOMPANY_UNDO_WINDOW_MINUTES of recording it."
    ),
)
@handle_errors
def stage_undo(
    project_id: ProjectId,
    stage: StageId,
    by: By,
    reason: Reason,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    from ..services.undo import UndoDecision, undo_stage_decision

    command = UndoDecision(project_id=project_number(project_id), stage=stage, by=by, reason=reason)
    _run_and_report(db, now, lambda application: undo_stage_decision(application, command))


@stage_app.command(
    "loop",
    help=T(
        "The stage's consent failed: loop back to the stage its template names (on_failure) for a new round "
        "— the planner or a coordinator; the other way forward is `project cancel`."
    ),
)
@handle_errors
def stage_loop(
    project_id: ProjectId,
    stage: StageId,
    by: By,
    reason: Reason,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    from ..services.loop import LoopStage, loop_stage

    command = LoopStage(project_id=project_number(project_id), stage=stage, by=by, reason=reason)
    _run_and_report(db, now, lambda application: loop_stage(application, command))
