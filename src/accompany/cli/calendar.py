"""`accompany` CLI — the statutory working-day calendar."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import (
    DbOption,
    JsonOption,
    NowOption,
    console,
    handle_errors,
    make_app,
    print_json,
)

calendar_app = typer.Typer(help="The statutory working-day calendar.", no_args_is_help=True)


@calendar_app.command("check")
@handle_errors
def calendar_check(db: DbOption = None, now: NowOption = None, json_out: JsonOption = False) -> None:
    """Which years are known, where each came from, and which unknown years open
    deadlines depend on (provisional)."""
    from rich.table import Table

    from ..calendars import PACKAGE, package_data
    from ..models.deadlines import local_date
    from ..services.calendar import provisional_years

    application = make_app(db, now)
    origins = application.calendar_origins
    package = package_data()
    waiting = provisional_years(application)
    this_year = local_date(application.now()).year
    if json_out:
        print_json(
            {
                "package": {"name": PACKAGE, **package.__dict__},
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
    console.print(
        f"{package.label} provides {package.first_year}–{package.last_year} "
        f"(pinned: a release with a new year is a deliberate upgrade)"
    )
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
