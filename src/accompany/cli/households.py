"""`accompany households` — a project's household register: load, list (contacts
masked), slips with QR codes, purge (on request or after the retention period)."""

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
    make_app,
    print_json,
    project_number,
    say,
)
from .help import T

households_app = typer.Typer(
    help=T("A project's household register: load, list (contacts masked), slips, purge."),
    no_args_is_help=True,
)
ProjectArg = Annotated[str, typer.Argument(help=T("project id"))]


@households_app.command(
    "load",
    help=T(
        "Load (or replace) a project's household register from CSV or XLSX: every row is checked "
        "first, then all are loaded — or none, with a report of the bad rows."
    ),
)
@handle_errors
def households_load(
    project_id: ProjectArg,
    file: Annotated[
        Path,
        typer.Argument(
            help=T(
                "CSV (UTF-8) or XLSX: 楼号/building, 单元/unit, 房号/room, 建筑面积/area, "
                "业主人数/owners, 联系方式/contact"
            )
        ),
    ],
    by: By,
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:

    from ..i18n import translator
    from ..services.households import MAX_REGISTER_BYTES, RegisterRejected, check_access, load_register
    from ..tables import read_table
    from .render import show_bad_rows

    lang = cli_language()
    _ = translator(lang)
    number = project_number(project_id)
    application = make_app(db, now)
    check_access(application, number, by)
    header, rows = read_table(file, max_bytes=MAX_REGISTER_BYTES, refuse_formulas=True)
    try:
        report = load_register(application, number, header, rows, by=by)
    except RegisterRejected as rejected:
        bad = rejected.check.bad
        show_bad_rows(bad, file, lang, json_out=json_out)
        raise
    if json_out:
        print_json(report.model_dump(mode="json"))
        return
    say(
        "loaded {count} household(s) into project #{project} ({contacts} with a contact); "
        "the register before had {replaced}",
        count=report.households,
        project=number,
        contacts=report.with_contact,
        replaced=report.replaced,
    )


@households_app.command("list", help=T("A project's household register, contacts masked (never the codes)."))
@handle_errors
def households_list(
    project_id: ProjectArg,
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    from rich.table import Table

    from ..i18n import translator
    from ..services.households import register_view
    from .render import text

    _ = translator(cli_language())
    application = make_app(db, now)
    view = register_view(application, project_number(project_id))
    if json_out:
        print_json(view.model_dump(mode="json"))
        return
    if not view.households:
        say("project #{project} has no household register", project=view.project_id)
        return
    table = Table(title=_("Households of {project}", project=view.project_name))
    for column in (_("Building"), _("Unit"), _("Room"), _("Floor area (m²)"), _("Owners"), _("Contact")):
        table.add_column(column)
    for h in view.households:
        area = f"{h.area_m2:.2f}"
        table.add_row(text(h.building), text(h.unit), text(h.room), area, str(h.owners), h.contact)
    console.print(table)
    say(
        "{count} household(s), {area} m², {owners} owner(s), {contacts} with a contact",
        count=len(view.households),
        area=f"{view.total_area_m2:.2f}",
        owners=view.total_owners,
        contacts=view.with_contact,
    )
    if view.retention_ends is not None:
        from ..models.deadlines import local_date

        say("kept until {day} (then deleted)", day=local_date(view.retention_ends).isoformat())


@households_app.command(
    "slips", help=T("Print the residents' slips: each household's code with a QR code (.html or .pdf).")
)
@handle_errors
def households_slips(
    project_id: ProjectArg,
    out: Annotated[Path, typer.Option("--out", help=T("the file to write: slips.pdf or slips.html"))],
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    from ..models.errors import InvalidInput
    from ..services.households import slip_sheet
    from ..slips import write_slips

    if out.suffix.lower() not in (".html", ".htm", ".pdf"):
        raise InvalidInput("--out {path}: use a .html or .pdf file", path=str(out))
    application = make_app(db, now)
    sheet = slip_sheet(application, project_number(project_id))
    if not sheet.slips:
        raise InvalidInput(
            "project #{project} has no household register: load one first", project=sheet.project_id
        )
    write_slips(sheet, out, cli_language())
    if json_out:
        print_json({"project_id": sheet.project_id, "slips": len(sheet.slips), "out": str(out)})
        return
    say("wrote {count} slip(s) to {path}", count=len(sheet.slips), path=out)


@households_app.command(
    "purge",
    help=T("Delete a project's household register (or only its contacts), e.g. on a resident's request."),
)
@handle_errors
def households_purge(
    project_id: ProjectArg,
    by: By,
    contacts_only: Annotated[
        bool, typer.Option("--contacts-only", help=T("delete the contacts only, keep the register"))
    ] = False,
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    from ..services.households import purge

    application = make_app(db, now)
    report = purge(application, project_number(project_id), by=by, contacts_only=contacts_only)
    if json_out:
        print_json(report.model_dump(mode="json"))
    elif contacts_only:
        say(
            "deleted the contacts of {count} household(s) of project #{project}",
            count=report.contacts,
            project=report.project_id,
        )
    else:
        say(
            "deleted the household register of project #{project} ({count} household(s))",
            count=report.households,
            project=report.project_id,
        )


@households_app.command(
    "purge-expired",
    help=T("Delete the registers of projects completed longer ago than ACCOMPANY_HOUSEHOLD_RETENTION_DAYS."),
)
@handle_errors
def households_purge_expired(
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    from ..services.households import purge_expired

    application = make_app(db, now)
    reports = purge_expired(application)
    if json_out:
        print_json([r.model_dump(mode="json") for r in reports])
        return
    say(
        "deleted {count} expired household register(s) (kept {days} days after completion)",
        count=len(reports),
        days=application.settings.household_retention_days,
    )


public_app = typer.Typer(
    help=T("A project's public page for residents (no sign-in; off until a coordinator publishes it)."),
    no_args_is_help=True,
)


def _publish(project_id: str, by: str, db: str | None, now: str | None, json_out: bool, on: bool) -> None:
    from ..services.public import set_published

    application = make_app(db, now)
    number = project_number(project_id)
    changed = set_published(application, number, by=by, published=on)
    url = f"{application.settings.resolved_public_base_url()}/public/projects/{number}"
    if json_out:
        print_json({"project_id": number, "published": on, "changed": changed, "url": url})
    elif on:
        say("the public page of project #{project} is on line: {url}", project=number, url=url)
    else:
        say("the public page of project #{project} is off line", project=number)


@public_app.command("publish", help=T("Put a project's public page on line (coordinators of its street)."))
@handle_errors
def public_publish(
    project_id: ProjectArg, by: By, db: DbOption = None, now: NowOption = None, json_out: JsonOption = False
) -> None:
    _publish(project_id, by, db, now, json_out, True)


@public_app.command("unpublish", help=T("Take a project's public page off line."))
@handle_errors
def public_unpublish(
    project_id: ProjectArg, by: By, db: DbOption = None, now: NowOption = None, json_out: JsonOption = False
) -> None:
    _publish(project_id, by, db, now, json_out, False)


@public_app.command(
    "poster",
    help=T("The notice-board poster of a project's public page: an A4 PDF, or its QR code alone as a PNG."),
)
@handle_errors
def public_poster(
    project_id: ProjectArg,
    out: Annotated[Path, typer.Option("--out", help=T("the file to write: poster.pdf or qr.png"))],
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    from ..models.errors import InvalidInput
    from ..services.public import poster
    from ..slips import write_poster

    if out.suffix.lower() not in (".pdf", ".png"):
        raise InvalidInput("--out {path}: use a .pdf or .png file", path=str(out))
    application = make_app(db, now)
    sheet = poster(application, project_number(project_id))
    write_poster(sheet, out, cli_language())
    if json_out:
        print_json(
            {"project_id": sheet.project_id, "url": sheet.url, "published": sheet.published, "out": str(out)}
        )
        return
    say("wrote the poster of {url} to {path}", url=sheet.url, path=out)
    if not sheet.published:
        say(
            "the public page is not on line yet: publish it (accompany public publish {project}) "
            "before putting the poster up",
            style="yellow",
            project=sheet.project_id,
        )
