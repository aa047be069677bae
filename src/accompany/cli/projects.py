"""`accompany` CLI — projects: start, list, show, import."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import (
    By,
    DbOption,
    JsonOption,
    NowOption,
    cli_language,
    console,
    handle_errors,
    lang_of,
    make_app,
    pairs,
    print_json,
    project_number,
    say,
)
from .help import T

project_app = typer.Typer(help=T("Start, list and show projects."), no_args_is_help=True)


@project_app.command(
    "start", help=T("Start a project from a process template (coordinators, for their own street).")
)
@handle_errors
def project_start(
    name: Annotated[str, typer.Option("--name", help=T("project name"))],
    district: Annotated[str, typer.Option("--district", help=T("district id or name"))],
    street: Annotated[str, typer.Option("--street", help=T("street id or name"))],
    community: Annotated[str, typer.Option("--community", help=T("community (社区)"))],
    planner: Annotated[str, typer.Option("--planner", help=T("the responsible planner: id or name"))],
    start: Annotated[str, typer.Option("--start", help=T("project start date, YYYY-MM-DD"))],
    by: By,
    template: Annotated[
        str, typer.Option("--template", help=T("template id[@version]"))
    ] = "accompany-service",
    stage_deadline: Annotated[
        list[str] | None,
        typer.Option(
            "--stage-deadline",
            help=T("STAGE=YYYY-MM-DD (stage id or name) for stages whose deadline is set at start"),
        ),
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", help=T("override a template parameter, NAME=VALUE"))
    ] = None,
    allow_duplicate: Annotated[
        bool,
        typer.Option(
            "--allow-duplicate", help=T("start it even if a project with this name, street and start exists")
        ),
    ] = False,
    party: Annotated[
        list[str] | None,
        typer.Option(
            "--party",
            help=T(
                "a party of the project, ROLE=PERSON (design, construction, developer, supervision, expert, "
                "community-committee, owners-committee, property-manager)"
            ),
        ),
    ] = None,
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    from ..clock import parse_day
    from ..models.parties import parties_missing, parties_words
    from ..services.commands import StartProject, start_project
    from ..services.parties import parse_assignments
    from ..services.queries import show_project
    from ..templates import template_ref
    from .render import outcome_line

    template_id, version = template_ref(template)
    application = make_app(db, now)
    source = application.catalog.get(template_id, version).template
    deadlines = {
        source.resolve_stage(key).id: parse_day(value, f"--stage-deadline {key}")
        for key, value in pairs(stage_deadline, "--stage-deadline").items()
    }
    command = StartProject(
        template=template_id,
        template_version=version,
        name=name,
        district=district,
        street=street,
        community=community,
        planner=planner,
        start=parse_day(start, "--start"),
        by=by,
        stage_deadlines=deadlines,
        params=pairs(param, "--param"),
        allow_duplicate=allow_duplicate,
        parties=parse_assignments(party or []),
    )
    outcome = start_project(application, command)
    detail = show_project(application, outcome.project_id)
    if json_out:
        print_json(detail.model_dump(mode="json"))
        return
    names = {s.key: s.name for s in detail.stages}
    console.print(outcome_line(outcome.events, outcome.project_id, lang_of(application), names))
    overdue = [s.name for s in detail.stages if s.timing.overdue]
    if overdue:
        say(
            "note: the start date lies in the past — {count} stage(s) are already overdue: {stages}",
            style="bold yellow",
            count=len(overdue),
            stages="、".join(overdue),
        )
    if all(s.state == "pending" for s in detail.stages):
        say(
            "the project starts on {day}: its first stages begin then (the daily sweep starts them)",
            day=detail.start_date.isoformat(),
        )
    missing = parties_missing(source, {p.role: p.person for p in detail.parties})
    if missing:
        zh = lang_of(application) == "zh"
        words = parties_words(list(missing))
        say(
            "note: name the {parties} before {stages} (they sign it): "
            "accompany project parties {id} --set ROLE=PERSON --by {by}",
            style="bold yellow",
            parties=words.zh if zh else str(words),
            stages=("、" if zh else ", ").join(
                dict.fromkeys(spec.name if zh else spec.name_en or spec.name for spec in missing.values())
            ),
            id=outcome.project_id,
            by=by,
        )


@project_app.command("list", help=T("The portfolio: projects with their current stages and deadlines."))
@handle_errors
def project_list(
    street: Annotated[str | None, typer.Option("--street", help=T("only this street (id or name)"))] = None,
    district: Annotated[
        str | None, typer.Option("--district", help=T("only this district (id or name)"))
    ] = None,
    overdue: Annotated[
        bool, typer.Option("--overdue", help=T("only projects with an overdue stage"))
    ] = False,
    limit: Annotated[str, typer.Option("--limit", help=T("at most this many (newest first)"))] = "200",
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    from ..models.errors import InvalidInput
    from ..services.queries import list_projects
    from .render import projects_table

    if not limit.isascii() or not limit.isdigit() or not 1 <= int(limit) <= 1_000_000:
        raise InvalidInput("--limit: '{value}' is not a number from 1 to 1000000", value=limit[:20])
    application = make_app(db, now)
    if json_out:
        # a whole city is ~200,000 new objects: the garbage collector's full passes
        # need not walk everything imported so far each time
        import gc

        gc.freeze()
    projects, total = list_projects(
        application,
        street=street,
        district=district,
        overdue_only=overdue,
        limit=int(limit),
        records=json_out,  # --json: plain records, no model per project
    )
    if json_out:
        print_json(projects)
        return
    if not projects:
        say("no projects match")
        return
    console.print(projects_table(projects, lang_of(application)))
    if total > len(projects):
        say(
            "showing {shown} of {total}; use --limit or --street to see more",
            shown=len(projects),
            total=total,
        )


@project_app.command(
    "show", help=T("One project: stages, states, deadlines, evidence, approvals (and the audit log).")
)
@handle_errors
def project_show(
    project_id: Annotated[str, typer.Argument(help=T("project id"))],
    events: Annotated[bool, typer.Option("--events", help=T("also print the audit log"))] = False,
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    from ..services.queries import show_project
    from .render import events_table, evidence_lines, project_header, signing_text, stages_table

    application = make_app(db, now)
    detail = show_project(application, project_number(project_id), with_events=events or json_out)
    if json_out:
        print_json(detail.model_dump(mode="json"))
        return
    lang = lang_of(application)
    console.print(project_header(detail, lang))
    console.print(stages_table(detail, lang))
    for line in evidence_lines(detail, lang):
        console.print(line)
    for stage in detail.stages:
        signing = signing_text(stage, lang)
        if signing is not None:
            console.print(signing)
    if events:
        console.print(events_table(detail, lang))


@project_app.command(
    "import",
    help=T(
        "Import many projects at once: every row is checked first, then all are imported in one "
        "transaction — or none, with a report of the bad rows."
    ),
)
@handle_errors
def project_import(
    file: Annotated[Path, typer.Argument(help=T("CSV (UTF-8) or XLSX with a header row"))],
    notify: Annotated[
        bool, typer.Option("--notify", help=T("queue the project-started notifications"))
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help=T("check every row, import nothing"))] = False,
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    from rich.progress import Progress

    from ..i18n import translator
    from ..services.importing import ImportRejected, import_projects
    from ..tables import read_table
    from .common import errors as error_console
    from .render import show_bad_rows

    lang = cli_language()
    _ = translator(lang)
    header, rows = read_table(file)
    application = make_app(db, now)
    try:
        with Progress(console=error_console, transient=True, disable=json_out) as bar:
            task = bar.add_task(_("checking"), total=len(rows))
            report = import_projects(
                application,
                header,
                rows,
                notify=notify,
                dry_run=dry_run,
                progress=lambda phase, done, total: bar.update(
                    task, description=_(phase), completed=done, total=total
                ),
            )
    except ImportRejected as rejected:
        bad = rejected.report.bad
        show_bad_rows(bad, file, lang, json_out=json_out)
        raise
    if json_out:
        print_json({"rows": report.rows, "dry_run": dry_run, "project_ids": report.project_ids})
    elif dry_run:
        say(
            "all {rows} row(s) of {file} are valid; nothing imported (--dry-run)", rows=report.rows, file=file
        )
    else:
        say(
            "imported {count} project(s) from {file} (ids {first}–{last})",
            count=len(report.project_ids),
            file=file,
            first=report.project_ids[0],
            last=report.project_ids[-1],
        )


# -- the project's life -------------------------------------------------------------------

ProjectArg = Annotated[str, typer.Argument(help=T("project id"))]
ReasonOption = Annotated[str, typer.Option("--reason", help=T("why (the reader sees it)"))]


@project_app.command(
    "suspend",
    help=T(
        "Suspend a project with a reason: the clocks of its stages in progress pause and no reminders go "
        "out until it is resumed (a coordinator of its street)."
    ),
)
@handle_errors
def project_suspend(
    project_id: ProjectArg, by: By, reason: ReasonOption, db: DbOption = None, now: NowOption = None
) -> None:
    from ..services.commands import SuspendProject, suspend_project
    from .stages import _run_and_report

    command = SuspendProject(project_id=project_number(project_id), by=by, reason=reason)
    _run_and_report(db, now, lambda application: suspend_project(application, command))


@project_app.command(
    "resume",
    help=T(
        "Resume a suspended project: its clocks run again and the deadlines move by the working days it "
        "was suspended (a coordinator of its street)."
    ),
)
@handle_errors
def project_resume(project_id: ProjectArg, by: By, db: DbOption = None, now: NowOption = None) -> None:
    from ..services.commands import ResumeProject, resume_project
    from .stages import _run_and_report

    command = ResumeProject(project_id=project_number(project_id), by=by)
    _run_and_report(db, now, lambda application: resume_project(application, command))


@project_app.command(
    "cancel",
    help=T(
        "Cancel a project for good, with a reason (a coordinator of its street while no stage is approved; "
        "after that, its street office)."
    ),
)
@handle_errors
def project_cancel(
    project_id: ProjectArg, by: By, reason: ReasonOption, db: DbOption = None, now: NowOption = None
) -> None:
    from ..services.commands import CancelProject, cancel_project
    from .stages import _run_and_report

    command = CancelProject(project_id=project_number(project_id), by=by, reason=reason)
    _run_and_report(db, now, lambda application: cancel_project(application, command))


@project_app.command(
    "handover",
    help=T(
        "Hand a project over to another planner of its street, with a handover note; its open stages go "
        "with it (a coordinator of its street)."
    ),
)
@handle_errors
def project_handover(
    project_id: ProjectArg,
    planner: Annotated[str, typer.Option("--planner", help=T("the new responsible planner: id or name"))],
    note: Annotated[str, typer.Option("--note", help=T("the handover note (both planners read it)"))],
    by: By,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    from ..services.commands import HandOverProject, hand_over_project
    from .stages import _run_and_report

    command = HandOverProject(project_id=project_number(project_id), by=by, planner=planner, note=note)
    _run_and_report(db, now, lambda application: hand_over_project(application, command))


@project_app.command(
    "edit", help=T("Correct a project's name or community (a coordinator of its street; audited).")
)
@handle_errors
def project_edit(
    project_id: ProjectArg,
    by: By,
    name: Annotated[str | None, typer.Option("--name", help=T("the new project name"))] = None,
    community: Annotated[str | None, typer.Option("--community", help=T("the new community (社区)"))] = None,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    from ..services.commands import EditProject, edit_project
    from .stages import _run_and_report

    command = EditProject(project_id=project_number(project_id), by=by, name=name, community=community)
    _run_and_report(db, now, lambda application: edit_project(application, command))


@project_app.command(
    "parties",
    help=T(
        "A project's parties (design institute, construction company, community committee …); "
        "--set ROLE=PERSON names or replaces one, --remove ROLE takes one off the list "
        "(a coordinator of its street; audited)."
    ),
)
@handle_errors
def project_parties(
    project_id: ProjectArg,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help=T("ROLE=PERSON, e.g. design=sy-design (repeatable)"))
    ] = None,
    remove: Annotated[
        list[str] | None,
        typer.Option("--remove", help=T("ROLE taken off the list, e.g. construction (repeatable)")),
    ] = None,
    by: Annotated[str | None, typer.Option("--by", help=T("who does it: person id or name"))] = None,
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    from ..labels import label
    from ..models.errors import InvalidInput
    from ..services.parties import SetParties, parse_assignments, set_parties
    from ..services.queries import show_project
    from .stages import _run_and_report

    number = project_number(project_id)
    if set_ or remove:
        if not by:
            raise InvalidInput("--set and --remove need --by: who changes the parties", field="by")
        command = SetParties(
            project_id=number, by=by, parties=parse_assignments(set_ or []), removed=list(remove or [])
        )
        _run_and_report(db, now, lambda application: set_parties(application, command))
        return
    application = make_app(db, now)
    detail = show_project(application, number)
    if json_out:
        print_json([p.model_dump(mode="json") for p in detail.parties])
        return
    lang = lang_of(application)
    if not detail.parties:
        say("project #{id} names no parties", id=number)
    for p in detail.parties:
        console.print(f"{label('role', p.role, lang)}\t{p.person_name} ({p.person})", markup=False)
