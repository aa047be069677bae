"""`accompany` CLI — the statutory working-day calendar."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import (
    DbOption,
    JsonOption,
    NowOption,
    cli_language,
    console,
    handle_errors,
    make_app,
    print_json,
    say,
)
from .help import T

calendar_app = typer.Typer(help=T("The statutory working-day calendar."), no_args_is_help=True)

WEEKDAYS = {
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


@calendar_app.command(
    "check",
    help=T(
        "Which years are known, where each came from, which unknown years open deadlines depend on "
        "(provisional), and any calendar file that cannot be used."
    ),
)
@handle_errors
def calendar_check(db: DbOption = None, now: NowOption = None, json_out: JsonOption = False) -> None:
    from rich.table import Table

    from ..calendars import PACKAGE, package_data
    from ..i18n import error_text, translator
    from ..models.deadlines import local_date
    from ..services.calendar import provisional_years
    from .render import text

    lang = cli_language()
    _ = translator(lang)
    application = make_app(db, now)
    origins = application.calendar_origins
    problems = application.calendar_problems
    package = package_data()
    waiting = provisional_years(application) if not problems else {}
    this_year = local_date(application.now()).year
    next_known = any(o.year == this_year + 1 for o in origins)
    if json_out:
        print_json(
            {
                "package": {"name": PACKAGE, **package.__dict__},
                "known": [o.__dict__ for o in origins],
                "provisional_years": {str(k): v for k, v in waiting.items()},
                "next_year_known": next_known,
                "problems": [{"file": str(p.path), "error": error_text(p.error, lang)} for p in problems],
            }
        )
        return
    table = Table(title=_("Working-day calendar"))
    for column in (_("Year"), _("Holidays"), _("Make-up workdays"), _("Source"), _("From")):
        table.add_column(column, overflow="fold")
    for o in origins:
        table.add_row(str(o.year), str(o.holidays), str(o.makeup_workdays), text(o.source), text(o.origin))
    console.print(table)
    say(
        "{package} provides {first}–{last} (pinned: a release with a new year is a deliberate upgrade)",
        package=package.label,
        first=package.first_year,
        last=package.last_year,
    )
    first, last = origins[0].year, origins[-1].year
    if len(origins) != last - first + 1:
        say("known years: {first}–{last} (with gaps)", first=first, last=last)
    else:
        say("known years: {first}–{last}", first=first, last=last)
    if not next_known:
        say(
            "{year} is unknown: deadlines reaching into it are computed on weekdays only and marked "
            "provisional until its schedule is added (`accompany calendar add {year}.yaml`).",
            style="magenta",
            year=this_year + 1,
        )
    for year, count in sorted(waiting.items()):
        say("{count} open deadline(s) are provisional on {year}", style="magenta", count=count, year=year)
    for problem in problems:
        say(
            "cannot use {file}: {error} — commands that need the calendar refuse until it is fixed "
            "or removed",
            style="bold red",
            file=problem.path,
            error=error_text(problem.error, lang),
        )


@calendar_app.command(
    "show", help=T("A year's holidays and make-up working days, and where the data came from.")
)
@handle_errors
def calendar_show(
    year: Annotated[str, typer.Argument(help=T("year, e.g. 2026"))],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    from rich.table import Table

    from ..i18n import translator
    from ..models.errors import InvalidInput
    from .render import text

    if not year.isascii() or not year.isdigit() or not 2000 <= int(year) <= 2100:
        raise InvalidInput("'{text}' is not a year from 2000 to 2100", text=year[:20])
    number = int(year)
    lang = cli_language()
    _ = translator(lang)
    application = make_app(db)
    schedule = application.calendar.schedule(number)
    origin = next((o for o in application.calendar_origins if o.year == number), None)
    if schedule is None or origin is None:
        if json_out:
            print_json({"year": number, "known": False, "policy": "weekdays-only, provisional"})
        else:
            say(
                "{year} is not known: deadlines in {year} are computed on weekdays only and marked "
                "provisional. Add the State Council's schedule with `accompany calendar add FILE`.",
                year=number,
            )
        return
    weekday_holidays = sorted(d for d in schedule.holidays if d.weekday() < 5)
    if json_out:
        print_json(
            {
                "year": number,
                "known": True,
                "source": origin.source,
                "from": origin.origin,
                "holidays": [d.isoformat() for d in sorted(schedule.holidays)],
                "makeup_workdays": [d.isoformat() for d in sorted(schedule.makeup_workdays)],
                "names": {d.isoformat(): n for d, n in sorted(schedule.names.items())},
            }
        )
        return
    say("{year}: {source} (from {origin})", year=number, source=origin.source, origin=origin.origin)
    table = Table()
    for column in (_("Date"), _("Weekday"), _("Kind"), _("Holiday name")):
        table.add_column(column)
    days = [(d, _("holiday (weekday off)")) for d in weekday_holidays] + [
        (d, _("make-up workday (调休上班)")) for d in schedule.makeup_workdays
    ]
    for day, kind in sorted(days):
        table.add_row(
            day.isoformat(),
            WEEKDAYS[lang][day.weekday()],
            kind,
            text(holiday_name(schedule.names.get(day, ""), lang)),
        )
    console.print(table)


# the package names its holidays in English; people read them in their language
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def holiday_name(name: str, lang: str) -> str:
    if lang != "zh":
        return name
    make_up = name.endswith(" (make-up workday)")
    base = name.removesuffix(" (make-up workday)")
    shown = HOLIDAY_NAMES.get(base, base)
    return f"{shown}调休" if make_up else shown


@calendar_app.command(
    "add", help=T("Add (or correct) a year's schedule and recompute the deadlines it affects.")
)
@handle_errors
def calendar_add(
    file: Annotated[Path, typer.Argument(help=T("calendar YAML for one year"))],
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    from ..services.calendar import add_calendar_file

    application = make_app(db, now)
    target, result = add_calendar_file(application, file)
    say(
        "installed {target}; checked {projects} project(s), {changes} deadline change(s) recorded in the "
        "audit log",
        target=target,
        projects=result.projects_checked,
        changes=result.deadlines_changed,
    )


@calendar_app.command(
    "recompute", help=T("Recompute provisional deadlines (or all, with --all) against the calendar in force.")
)
@handle_errors
def calendar_recompute(
    all_projects: Annotated[bool, typer.Option("--all", help=T("recheck every open deadline"))] = False,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    from ..services.calendar import sync_calendar

    application = make_app(db, now)
    result = sync_calendar(application, force_all=all_projects)
    say(
        "checked {projects} project(s): {changes} deadline change(s)",
        projects=result.projects_checked,
        changes=result.deadlines_changed,
    )
