"""The `accompany` command line.

Person commands call the service layer directly (well under a second on SQLite);
the same services are what the Prefect flows in ``accompany.flows`` run, so
automation and people share one code path without people paying Prefect's start-up.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from .common import (
    DbOption,
    JsonOption,
    NowOption,
    console,
    handle_errors,
    load_settings,
    make_app,
    print_json,
)

app = typer.Typer(
    name="accompany",
    help="陪伴式服务 workflow engine: 问需 → 问计 → 问效, with deadlines, approvals and reminders.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
people_app = typer.Typer(help="The people directory.", no_args_is_help=True)
template_app = typer.Typer(help="Process templates.", no_args_is_help=True)
project_app = typer.Typer(help="Start, list and show projects.", no_args_is_help=True)
stage_app = typer.Typer(help="Act on a project's stages.", no_args_is_help=True)
calendar_app = typer.Typer(help="The statutory working-day calendar.", no_args_is_help=True)
db_app = typer.Typer(help="The application database schema.", no_args_is_help=True)
reminders_app = typer.Typer(help="The reminder sweep.", no_args_is_help=True)
notifications_app = typer.Typer(help="The notification outbox and channels.", no_args_is_help=True)
report_app = typer.Typer(help="Compliance reports.", no_args_is_help=True)
app.add_typer(people_app, name="people")
app.add_typer(template_app, name="template")
app.add_typer(project_app, name="project")
app.add_typer(stage_app, name="stage")
app.add_typer(calendar_app, name="calendar")
app.add_typer(db_app, name="db")
app.add_typer(reminders_app, name="reminders")
app.add_typer(notifications_app, name="notifications")
app.add_typer(report_app, name="report")

By = Annotated[str, typer.Option("--by", help="id of the person acting (from the directory)")]
KEY_VALUE = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*)=(.*)$", re.S)


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    from ..models.errors import InvalidInput

    out: dict[str, str] = {}
    for value in values or []:
        match = KEY_VALUE.match(value)
        if not match:
            raise InvalidInput(f"{option} expects key=value, got {value!r}")
        key, text = match.groups()
        if key in out:
            raise InvalidInput(f"{option} {key} is given twice")
        out[key] = text
    return out


def _lang(application) -> str:  # type: ignore[no-untyped-def]
    return application.lang


# -- set-up -------------------------------------------------------------------------


@app.command()
@handle_errors
def init(db: DbOption = None) -> None:
    """Create or upgrade the database schema (also done automatically on first use)."""
    from ..db.engine import redact_url

    application = make_app(db)
    from ..db.schema import current_revision

    console.print(
        f"database {redact_url(application.engine.url)} at schema revision "
        f"{current_revision(application.engine)}"
    )


@db_app.command("upgrade")
@handle_errors
def db_upgrade(db: DbOption = None) -> None:
    """Upgrade the schema to the newest revision (Alembic)."""
    from ..db.engine import make_engine, redact_url
    from ..db.schema import upgrade

    url = db or load_settings().resolved_database_url()
    engine = make_engine(url)
    before, after = upgrade(engine)
    console.print(f"{redact_url(engine.url)}: {before or 'empty'} → {after}")


@db_app.command("current")
@handle_errors
def db_current(db: DbOption = None) -> None:
    """Show the schema revision of the database and of this code."""
    from ..db.engine import make_engine, redact_url
    from ..db.schema import current_revision
    from ..migrations import HEAD

    url = db or load_settings().resolved_database_url()
    engine = make_engine(url)
    current = current_revision(engine)
    state = "up to date" if current == HEAD else "needs `accompany db upgrade`"
    console.print(
        f"{redact_url(engine.url)}: revision {current or 'none (empty)'}; code head {HEAD} ({state})"
    )


# -- people -----------------------------------------------------------------------------


@people_app.command("load")
@handle_errors
def people_load(
    file: Annotated[Path, typer.Argument(help="directory YAML (see config/people.example.yaml)")],
    db: DbOption = None,
) -> None:
    """Load (insert or update) the organisation and people from a YAML file."""
    from ..directory import read_directory
    from ..services.commands import load_directory

    directory = read_directory(file)
    application = make_app(db)
    counts = load_directory(application, directory)
    console.print(
        f"loaded {len(directory.people)} people from {file}: {counts['added']} added, "
        f"{counts['updated']} updated, {counts['unchanged']} unchanged"
    )


@people_app.command("list")
@handle_errors
def people_list(db: DbOption = None, json_out: JsonOption = False) -> None:
    """List the people in the directory."""
    from rich.table import Table

    application = make_app(db)
    with application.reader() as uow:
        people = uow.people.all()
    if json_out:
        print_json([p.model_dump(mode="json") for p in people])
        return
    table = Table(title="People")
    for column in ("id", "name", "role", "district", "streets", "team"):
        table.add_column(column)
    for p in people:
        table.add_row(p.id, p.name, p.role.value, p.district, ",".join(p.streets) or "*", p.team or "")
    console.print(table)


# -- templates ----------------------------------------------------------------------------


@template_app.command("list")
@handle_errors
def template_list(db: DbOption = None) -> None:
    """List the templates the catalog knows."""
    application = make_app(db)
    for item in application.catalog.files():
        t = item.template
        console.print(f"{t.ref}  {t.name}  ({len(t.stages)} stages)  {item.path}")


@template_app.command("show")
@handle_errors
def template_show(
    template_id: Annotated[str, typer.Argument(help="template id, optionally id@version")],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Show a template's stages, deadlines, evidence and approvals."""
    from rich.table import Table

    application = make_app(db)
    name, _, version = template_id.partition("@")
    t = application.catalog.get(name, int(version) if version.isdigit() else None).template
    if json_out:
        print_json(t.model_dump(mode="json", by_alias=True))
        return
    lang = _lang(application)
    table = Table(title=f"{t.ref} {t.name}")
    for column in ("stage", "phase", "depends on", "deadline", "evidence", "approval"):
        table.add_column(column)
    for spec in t.stages:
        evidence = []
        for f in spec.evidence:
            bound = f" ≥ {f.min:g}" if f.min is not None else ""
            evidence.append(f"{f.key}{bound}{'' if f.required else ' (optional)'}")
        evidence += [c.label for c in spec.checks]
        table.add_row(
            f"{spec.id}\n{spec.label(lang)}",
            spec.phase,
            ", ".join(t.dependencies(spec.id)) or "—",
            spec.deadline.describe(lang),
            "\n".join(evidence),
            " → ".join(level.value for level in spec.approval) or "—",
        )
    console.print(table)
    if t.parameters:
        console.print("parameters: " + ", ".join(f"{k}={v}" for k, v in t.parameters.items()))


@template_app.command("validate")
@handle_errors
def template_validate(file: Annotated[Path, typer.Argument(help="template YAML file")]) -> None:
    """Check a template file; prints the field and reason of the first problem."""
    from ..templates import read_template_file

    item = read_template_file(file)
    console.print(f"{file}: valid template {item.template.ref} with {len(item.template.stages)} stages")


# -- projects -------------------------------------------------------------------------------


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
        for key, value in _pairs(stage_deadline, "--stage-deadline").items()
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
        params=_pairs(param, "--param"),
    )
    application = make_app(db, now)
    outcome = start_project(application, command)
    if json_out:
        print_json(show_project(application, outcome.project_id).model_dump(mode="json"))
        return
    console.print(outcome_line(outcome.events, outcome.project_id, _lang(application)))


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
    console.print(projects_table(projects, _lang(application)))
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
    lang = _lang(application)
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


# -- stages ---------------------------------------------------------------------------------

ProjectId = Annotated[int, typer.Argument(help="project id")]
StageId = Annotated[str, typer.Argument(help="stage id, e.g. needs-survey")]


def _run_and_report(db: str | None, now: str | None, action) -> None:  # type: ignore[no-untyped-def]
    from .render import outcome_line

    application = make_app(db, now)
    outcome = action(application)
    console.print("✓ " + outcome_line(outcome.events, outcome.project_id, _lang(application)))


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
        evidence=_pairs(evidence, "--evidence"),
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


# -- calendar -------------------------------------------------------------------------------


@calendar_app.command("check")
@handle_errors
def calendar_check(db: DbOption = None, now: NowOption = None, json_out: JsonOption = False) -> None:
    """Which years are known, where each came from, and which unknown years open
    deadlines depend on (provisional)."""
    from rich.table import Table

    from ..models.deadlines import local_date
    from ..services.calendar import provisional_years

    application = make_app(db, now)
    origins = application.calendar_origins
    waiting = provisional_years(application)
    this_year = local_date(application.now()).year
    if json_out:
        print_json(
            {
                "known": [o.__dict__ for o in origins],
                "provisional_years": {str(k): v for k, v in waiting.items()},
                "next_year_known": application.calendar.knows(this_year + 1),
            }
        )
        return
    table = Table(title="Working-day calendar")
    for column in ("year", "holidays", "make-up workdays", "source", "from"):
        table.add_column(column)
    for o in origins:
        table.add_row(str(o.year), str(o.holidays), str(o.makeup_workdays), o.source, o.origin)
    console.print(table)
    first, last = origins[0].year, origins[-1].year
    console.print(
        f"known years: {first}–{last}" + (" (with gaps)" if len(origins) != last - first + 1 else "")
    )
    if not application.calendar.knows(this_year + 1):
        console.print(
            f"[magenta]{this_year + 1} is unknown[/]: deadlines reaching into it are computed on "
            "weekdays only and marked provisional until its schedule is added "
            f"(`accompany calendar add {this_year + 1}.yaml`)."
        )
    for year, count in sorted(waiting.items()):
        console.print(f"[magenta]{count} open deadline(s) are provisional on {year}[/]")


@calendar_app.command("show")
@handle_errors
def calendar_show(
    year: Annotated[int, typer.Argument(help="year, e.g. 2026")],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """A year's holidays and make-up working days, and where the data came from."""
    from rich.table import Table

    application = make_app(db)
    schedule = application.calendar.schedule(year)
    origin = next((o for o in application.calendar_origins if o.year == year), None)
    if schedule is None or origin is None:
        message = (
            f"{year} is not known: deadlines in {year} are computed on weekdays only and marked "
            f"provisional. Add the State Council's schedule with `accompany calendar add FILE`."
        )
        if json_out:
            print_json({"year": year, "known": False, "policy": "weekdays-only, provisional"})
        else:
            console.print(message)
        return
    weekday_holidays = sorted(d for d in schedule.holidays if d.weekday() < 5)
    if json_out:
        print_json(
            {
                "year": year,
                "known": True,
                "source": origin.source,
                "from": origin.origin,
                "holidays": [d.isoformat() for d in sorted(schedule.holidays)],
                "makeup_workdays": [d.isoformat() for d in sorted(schedule.makeup_workdays)],
            }
        )
        return
    console.print(f"{year}: {origin.source} (from {origin.origin})")
    table = Table()
    table.add_column("date")
    table.add_column("weekday")
    table.add_column("kind")
    table.add_column("name")
    days = [(d, "holiday (weekday off)") for d in weekday_holidays] + [
        (d, "make-up workday (调休上班)") for d in schedule.makeup_workdays
    ]
    for day, kind in sorted(days):
        table.add_row(day.isoformat(), day.strftime("%a"), kind, schedule.names.get(day, ""))
    console.print(table)


@calendar_app.command("add")
@handle_errors
def calendar_add(
    file: Annotated[Path, typer.Argument(help="calendar YAML for one year")],
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    """Add (or correct) a year's schedule and recompute the deadlines it affects."""
    from ..services.calendar import add_calendar_file

    application = make_app(db, now)
    target, result = add_calendar_file(application, file)
    console.print(
        f"installed {target}; checked {result.projects_checked} project(s), "
        f"{result.deadlines_changed} deadline change(s) recorded in the audit log"
    )


@calendar_app.command("recompute")
@handle_errors
def calendar_recompute(
    all_projects: Annotated[bool, typer.Option("--all", help="recheck every open deadline")] = False,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    """Recompute provisional deadlines (or all, with --all) against the calendar in force."""
    from ..services.calendar import sync_calendar

    application = make_app(db, now)
    result = sync_calendar(application, force_all=all_projects)
    console.print(
        f"checked {result.projects_checked} project(s): {result.deadlines_changed} deadline change(s)"
    )


# -- reminders and notifications ------------------------------------------------------------


@reminders_app.command("run")
@handle_errors
def reminders_run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="show what would be queued, queue nothing")
    ] = False,
    show: Annotated[int, typer.Option("--show", min=0, help="list at most this many of the reminders")] = 20,
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    """Run one reminder sweep by hand and show what it queued."""
    from rich.progress import Progress

    from ..services.reminders import sweep

    application = make_app(db, now)
    with Progress(console=console, transient=True, disable=json_out) as bar:
        task = bar.add_task("queueing", total=None)
        result = sweep(
            application,
            dry_run=dry_run,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if json_out:
        print_json(
            {
                "today": result.today.isoformat(),
                "dry_run": dry_run,
                "stages_considered": result.stages_considered,
                "queued": result.queued,
                "already_queued": result.already_queued,
                "deadlines_recomputed": result.deadlines_recomputed,
                "by_kind": result.by_kind(),
                "notifications": [
                    {
                        "key": i.dedupe_key,
                        "audience": i.audience,
                        "kind": i.kind.value,
                        "project_id": i.project_id,
                        "stage": i.stage,
                    }
                    for i in result.intents
                ],
            }
        )
        return
    verb = "would queue" if dry_run else "queued"
    console.print(
        f"{result.today}: {result.stages_considered} open stage(s) considered; {verb} "
        f"{result.queued} new notification(s), {result.already_queued} already queued"
        + (f"; {result.deadlines_recomputed} deadline(s) recomputed" if result.deadlines_recomputed else "")
    )
    if result.intents:
        from rich.table import Table

        table = Table()
        for column in ("to", "kind", "project", "stage", "due"):
            table.add_column(column)
        for intent in result.intents[:show]:
            table.add_row(
                intent.audience,
                intent.kind.value,
                f"#{intent.project_id} {intent.payload.get('project')}",
                intent.stage or "",
                str(intent.payload.get("due") or ""),
            )
        console.print(table)
        if len(result.intents) > show:
            console.print(f"… and {len(result.intents) - show} more (--show N, or --json)")


@notifications_app.command("dispatch")
@handle_errors
def notifications_dispatch(db: DbOption = None, now: NowOption = None) -> None:
    """Deliver what is due in the outbox now, through the Apprise channels."""
    from ..services.dispatch import dispatch

    application = make_app(db, now)
    result = dispatch(application, application.notifier())
    if result.quiet:
        console.print("quiet hours (or a non-working day): nothing sent now")
        return
    console.print(
        f"{result.claimed} notification(s) in {result.messages} message(s): {result.sent} sent, "
        f"{result.retried} to retry, {result.dead} dead"
    )
    for error in sorted(set(result.errors))[:10]:
        console.print(f"[red]failed:[/] {error}")


@notifications_app.command("list")
@handle_errors
def notifications_list(
    failed: Annotated[bool, typer.Option("--failed", help="only dead-lettered and retrying")] = False,
    pending: Annotated[bool, typer.Option("--pending", help="only not yet sent")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 100,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """The outbox: what was queued, sent, is waiting to retry or failed for good."""
    from sqlalchemy import select

    from ..db.orm import NotificationRow
    from ..services.queries import local

    application = make_app(db)
    with application.reader() as uow:
        query = select(NotificationRow).order_by(NotificationRow.id.desc()).limit(limit)
        if failed:
            query = query.where(NotificationRow.status.in_(("dead", "retry")))
        elif pending:
            query = query.where(NotificationRow.status.in_(("pending", "retry", "sending")))
        rows = list(uow.session.scalars(query))
    if json_out:
        print_json(
            [
                {
                    "id": r.id,
                    "status": r.status,
                    "kind": r.kind,
                    "audience": r.audience,
                    "project_id": r.project_id,
                    "stage": r.stage_key,
                    "attempts": r.attempts,
                    "next_attempt_at": local(r.next_attempt_at),
                    "sent_at": local(r.sent_at),
                    "last_error": r.last_error,
                    "key": r.dedupe_key,
                }
                for r in rows
            ]
        )
        return
    if not rows:
        console.print("no notifications match")
        return
    from rich.table import Table

    table = Table(title="Notifications")
    for column in ("id", "status", "kind", "to", "project", "stage", "tries", "next / sent", "error"):
        table.add_column(column)
    for r in rows:
        when = local(r.sent_at) if r.status == "sent" else local(r.next_attempt_at)
        table.add_row(
            str(r.id),
            r.status,
            r.kind,
            r.audience,
            str(r.project_id or ""),
            r.stage_key or "",
            str(r.attempts),
            when.strftime("%Y-%m-%d %H:%M") if when else "",
            r.last_error or "",
        )
    console.print(table)


@notifications_app.command("retry")
@handle_errors
def notifications_retry(
    ids: Annotated[list[int] | None, typer.Argument(help="notification ids (default: all dead ones)")] = None,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    """Put dead-lettered notifications back in the queue (after fixing a channel)."""
    from ..services.outbox import retry_dead

    application = make_app(db, now)
    count = retry_dead(application, ids or None)
    console.print(f"{count} notification(s) queued again; they go out with the next dispatch")


@notifications_app.command("channels")
@handle_errors
def notifications_channels(db: DbOption = None) -> None:
    """The Apprise channels (URLs masked) and which people and offices they reach."""
    from rich.table import Table

    from ..models.reminders import audience_tag, district, person, street_office

    application = make_app(db)
    notifier = application.notifier()
    table = Table(title=f"Channels in {notifier.path}")
    table.add_column("channel (secrets masked)")
    table.add_column("tags")
    for channel, tags in notifier.all_channels():
        table.add_row(channel.label, ", ".join(sorted(tags)))
    console.print(table)
    for problem in notifier.problems:
        console.print(f"[yellow]not loaded:[/] {problem}")
    with application.reader() as uow:
        people = uow.people.all()
        districts = uow.people.districts()
    audiences = {person(p.id) for p in people if p.role.value in ("planner", "coordinator")}
    audiences |= {street_office(s.id) for d in districts for s in d.streets}
    audiences |= {district(d.id) for d in districts}
    missing = sorted(a for a in audiences if not notifier.channels(audience_tag(a)))
    if missing:
        console.print("[red]no channel for:[/] " + ", ".join(audience_tag(a) for a in missing))
    else:
        console.print(
            f"every planner, coordinator, street office and district ({len(audiences)}) has a channel"
        )


@app.command()
@handle_errors
def serve(
    check: Annotated[bool, typer.Option("--check", help="print the deployments and exit")] = False,
) -> None:
    """Serve the scheduled flows (reminder sweep, outbox dispatch) as Prefect
    deployments on Asia/Shanghai cron schedules, until stopped."""
    from ..flows.serve import build_deployments, serve_forever

    settings = load_settings()
    if check:
        for deployment in build_deployments(settings):
            schedules = ", ".join(f"{s.schedule.cron} ({s.schedule.timezone})" for s in deployment.schedules)
            console.print(f"{deployment.flow_name}/{deployment.name}: {schedules}")
        return
    console.print("serving send-reminders and dispatch-notifications (Ctrl-C to stop; schedules stay active)")
    serve_forever(settings)


# -- reports ---------------------------------------------------------------------------------------


@report_app.command("quarterly")
@handle_errors
def report_quarterly(
    quarter: Annotated[str, typer.Option("--quarter", help="e.g. 2026Q4")],
    district: Annotated[
        str | None, typer.Option("--district", help="only this district (id or name)")
    ] = None,
    street: Annotated[str | None, typer.Option("--street", help="only this street (id or name)")] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="xlsx, csv, html or json (default: from --out, else xlsx)")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="file or folder (default: ./accompany-QUARTER-SCOPE.EXT; csv/json: stdout)"
        ),
    ] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="zh or en headers")] = None,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    """The quarterly compliance report, rebuilt from the event log as of the
    quarter's end (or now, for a quarter still running)."""
    from rich.progress import Progress

    from ..models.errors import InvalidInput
    from ..models.report import Quarter
    from ..reporting import render_csv, render_json, write
    from ..services.reports import quarterly_report, report_filename
    from .common import errors as error_console

    period = Quarter.parse(quarter)
    if fmt is None:
        suffix = out.suffix.lower().lstrip(".") if out is not None and out.suffix else ""
        fmt = suffix or "xlsx"
    if fmt not in ("xlsx", "csv", "html", "json"):
        raise InvalidInput(f"--format: {fmt!r} is not one of xlsx, csv, html, json")
    if lang not in (None, "zh", "en"):
        raise InvalidInput(f"--lang: {lang!r} is not zh or en")
    application = make_app(db, now)
    language = lang or application.lang
    with Progress(console=error_console, transient=True) as bar:
        task = bar.add_task(f"{period.label}: replaying events", total=None)
        report = quarterly_report(
            application,
            period,
            district=district,
            street=street,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if out is None and fmt in ("csv", "json"):
        sys.stdout.write(render_json(report) if fmt == "json" else render_csv(report, language))
        return
    target = out or Path(report_filename(report, fmt))
    if target.is_dir():
        target = target / report_filename(report, fmt)
    if not target.parent.exists():
        raise InvalidInput(f"--out: folder {target.parent} does not exist")
    write(report, fmt, target, language)
    state = "complete quarter" if report.complete_quarter else "quarter still running"
    console.print(
        f"wrote {target} — {report.quarter} ({state}), "
        f"data cut-off {report.cutoff:%Y-%m-%d %H:%M} Beijing time, "
        f"{report.meta['events_read']} events, inputs sha256 {report.meta['inputs_sha256'][:16]}…"
    )


# -- demo --------------------------------------------------------------------------------------


@app.command()
@handle_errors
def demo(
    db: Annotated[
        str | None, typer.Option("--db", help="database URL (default: a throwaway SQLite file)")
    ] = None,
    prefect: Annotated[
        bool,
        typer.Option("--prefect/--no-prefect", help="drive the lifecycle through the Prefect flows"),
    ] = True,
    keep: Annotated[bool, typer.Option("--keep", help="keep the throwaway database")] = False,
) -> None:
    """Run a whole project lifecycle on a throwaway database with a simulated clock."""
    from ..demo import run_demo

    run_demo(database_url=db, use_prefect=prefect, keep=keep, console=console)


def run() -> None:
    app()


if __name__ == "__main__":
    run()
