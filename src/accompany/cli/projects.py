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
    console,
    handle_errors,
    lang_of,
    make_app,
    pairs,
    print_json,
)

project_app = typer.Typer(help="Start, list and show projects.", no_args_is_help=True)


@project_app.command("start")
@handle_errors
def project_start(
    name: Annotated[str, typer.Option("--name", help="project name")],
    district: Annotated[str, typer.Option("--district", help="district id or name")],
    street: Annotated[str, typer.Option("--street", help="street id or name")],
    community: Annotated[str, typer.Option("--community", help="community (社区)")],
    planner: Annotated[str, typer.Option("--planner", help="id of the responsible planner")],
    start: Annotated[str, typer.Option("--start", help="project start date, YYYY-MM-DD")],
    by: By,
    template: Annotated[str, typer.Option("--template", help="template id[@version]")] = "accompany-service",
    stage_deadline: Annotated[
        list[str] | None,
        typer.Option("--stage-deadline", help="STAGE=YYYY-MM-DD for stages whose deadline is set at start"),
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="override a template parameter, NAME=VALUE")
    ] = None,
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    """Start a project from a process template (coordinators, for their own street)."""
    from ..clock import parse_day
    from ..services.commands import StartProject, start_project
    from ..services.queries import show_project
    from .render import outcome_line

    template_id, _, version = template.partition("@")
    deadlines = {
        key: parse_day(value, f"--stage-deadline {key}")
        for key, value in pairs(stage_deadline, "--stage-deadline").items()
    }
    command = StartProject(
        template=template_id,
        template_version=int(version) if version.isdigit() else None,
        name=name,
        district=district,
        street=street,
        community=community,
        planner=planner,
        start=parse_day(start, "--start"),
        by=by,
        stage_deadlines=deadlines,
        params=pairs(param, "--param"),
    )
    application = make_app(db, now)
    outcome = start_project(application, command)
    if json_out:
        print_json(show_project(application, outcome.project_id).model_dump(mode="json"))
        return
    console.print(outcome_line(outcome.events, outcome.project_id, lang_of(application)))


@project_app.command("list")
@handle_errors
def project_list(
    street: Annotated[str | None, typer.Option("--street", help="only this street (id or name)")] = None,
    district: Annotated[str | None, typer.Option("--district", help="only this district")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="only projects with an overdue stage")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="at most this many (newest first)")] = 200,
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    """The portfolio: projects with their current stages and deadlines."""
    from ..services.queries import list_projects
    from .render import projects_table

    application = make_app(db, now)
    projects, total = list_projects(
        application, street=street, district=district, overdue_only=overdue, limit=limit
    )
    if json_out:
        print_json([p.model_dump(mode="json") for p in projects])
        return
    if not projects:
        console.print("no projects match" if total == 0 else "")
        return
    console.print(projects_table(projects, lang_of(application)))
    if total > len(projects):
        console.print(f"showing {len(projects)} of {total}; use --limit or --street to see more")


@project_app.command("show")
@handle_errors
def project_show(
    project_id: Annotated[int, typer.Argument(help="project id")],
    events: Annotated[bool, typer.Option("--events", help="also print the audit log")] = False,
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    """One project: stages, states, deadlines, evidence, approvals (and audit log)."""
    from ..services.queries import show_project
    from .render import events_table, evidence_lines, project_header, stages_table

    application = make_app(db, now)
    detail = show_project(application, project_id, with_events=events or json_out)
    if json_out:
        print_json(detail.model_dump(mode="json"))
        return
    lang = lang_of(application)
    console.print(project_header(detail, lang))
    console.print(stages_table(detail, lang))
    for line in evidence_lines(detail, lang):
        console.print(line)
    if events:
        console.print(events_table(detail, lang))


@project_app.command("import")
@handle_errors
def project_import(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8) or XLSX with a header row")],
    notify: Annotated[bool, typer.Option("--notify", help="queue the project-started notifications")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="check every row, import nothing")] = False,
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    """Import many projects at once: every row is checked first, then all are
    imported in one transaction — or none, with a report of the bad rows."""
    from rich.progress import Progress
    from rich.table import Table

    from ..services.importing import ImportRejected, import_projects
    from ..tables import read_table
    from .common import errors as error_console

    header, rows = read_table(file)
    application = make_app(db, now)
    try:
        with Progress(console=error_console, transient=True, disable=json_out) as bar:
            task = bar.add_task("checking", total=len(rows))
            report = import_projects(
                application,
                header,
                rows,
                notify=notify,
                dry_run=dry_run,
                progress=lambda phase, done, total: bar.update(
                    task, description=phase, completed=done, total=total
                ),
            )
    except ImportRejected as rejected:
        bad = rejected.report.bad
        if json_out:
            print_json([{"row": b.row, "column": b.column, "reason": b.reason} for b in bad])
        else:
            table = Table(title=f"bad rows in {file}")
            for column in ("row", "column", "reason"):
                table.add_column(column)
            for b in bad:
                table.add_row(str(b.row), b.column, b.reason)
            console.print(table)
        raise
    if json_out:
        print_json({"rows": report.rows, "dry_run": dry_run, "project_ids": report.project_ids})
    elif dry_run:
        console.print(f"all {report.rows} row(s) of {file} are valid; nothing imported (--dry-run)")
    elif report.project_ids:
        first, last = report.project_ids[0], report.project_ids[-1]
        console.print(f"imported {len(report.project_ids)} project(s) from {file} (ids {first}–{last})")
    else:
        console.print(f"{file} has no data rows; nothing imported")
