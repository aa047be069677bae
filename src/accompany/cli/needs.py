"""`accompany needs` — residents' needs survey (问需): the project's needs menu, a
paper answer (代录) and the tally."""

from __future__ import annotations

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
    project_number,
    say,
)
from .help import T

needs_app = typer.Typer(
    help=T("Residents' needs survey (问需): the needs menu, paper answers and the tally."),
    no_args_is_help=True,
)
ProjectArg = Annotated[str, typer.Argument(help=T("project id"))]
StageOption = Annotated[
    str | None,
    typer.Option("--stage", help=T("the needs-survey stage (id or name); default: the one in progress")),
]


def _menu_table(view, lang: str) -> None:  # type: ignore[no-untyped-def]
    from rich.table import Table
    from rich.text import Text

    from ..i18n import translator

    _ = translator(lang)
    table = Table(title=_("Needs menu"))
    for column in ("#", _("Category"), _("Item"), _("Households choosing it"), _("Retired")):
        table.add_column(column)
    for item in view.items:
        table.add_row(
            str(item.id),
            item.category_zh if lang == "zh" else item.category_en,
            Text(item.name),
            str(item.chosen_by),
            _("yes") if item.retired else "",
        )
    console.print(table)


@needs_app.command(
    "menu",
    help=T(
        "Show the project's needs menu (the default one is copied in at first use); a coordinator of "
        "the street adds (--add 类别:名称), renames (--rename ID=名称) and retires (--retire ID) items. "
        "An item households chose is retired, not deleted."
    ),
)
@handle_errors
def needs_menu(
    project_id: ProjectArg,
    add: Annotated[
        list[str] | None, typer.Option("--add", help=T("a new item as category:name, e.g. 完善类:增设快递柜"))
    ] = None,
    retire: Annotated[
        list[str] | None, typer.Option("--retire", help=T("an item's number to retire"))
    ] = None,
    rename: Annotated[list[str] | None, typer.Option("--rename", help=T("ID=new name"))] = None,
    by: Annotated[
        str | None, typer.Option("--by", help=T("the person acting: id or name (from the directory)"))
    ] = None,
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    from ..models.errors import InvalidInput
    from ..services.needs import edit_menu, menu_view

    application = make_app(db, now)
    number = project_number(project_id)
    changes = bool(add or retire or rename)
    if changes and not by:
        raise InvalidInput("changing the menu needs --by (a coordinator of the project's street)", field="by")
    if changes:
        renames = []
        for text in rename or []:
            head, sep, tail = text.partition("=")
            if not sep:
                raise InvalidInput(
                    "write --rename as ID=new name (got '{value}')", field="rename", value=text[:40]
                )
            renames.append((_item_number(head), tail))
        view = edit_menu(
            application,
            number,
            by=str(by),
            add=add or [],
            retire=[_item_number(text) for text in retire or []],
            rename=renames,
        )
    else:
        view = menu_view(application, number)
    if json_out:
        print_json(view.model_dump(mode="json"))
        return
    _menu_table(view, cli_language())


def _item_number(text: str) -> int:
    from ..models.errors import InvalidInput

    value = text.strip().lstrip("#")
    digits = value.removeprefix("-")
    if not digits.isascii() or not digits.isdigit() or len(digits) > 9:
        raise InvalidInput("'{value}' is not a menu item number", field="need", value=text[:20])
    return int(value, 10)


@needs_app.command(
    "record",
    help=T(
        "Record a household's paper answer (代录) while the needs survey is in progress: the items it "
        "ticks (--need, repeated), an optional comment and problem points; a later answer of the same "
        "household replaces the earlier one."
    ),
)
@handle_errors
def needs_record(
    project_id: ProjectArg,
    household: Annotated[
        str,
        typer.Option("--household", help=T("the household's code (from its slip) or its home, e.g. 3-2-501")),
    ],
    need: Annotated[list[str], typer.Option("--need", help=T("a menu item's number (repeat for several)"))],
    by: Annotated[str, typer.Option("--by", help=T("the person acting: id or name (from the directory)"))],
    comment: Annotated[str | None, typer.Option("--comment", help=T("the household's own words"))] = None,
    point: Annotated[
        list[str] | None,
        typer.Option("--point", help=T("a problem point: category,latitude,longitude[,note] (GCJ-02)")),
    ] = None,
    wgs84: Annotated[
        bool, typer.Option("--wgs84", help=T("the points' positions are WGS-84 (GPS), not GCJ-02"))
    ] = False,
    photo: Annotated[
        list[str] | None,
        typer.Option(
            "--photo",
            help=T(
                "a problem point's photo, a JPEG or PNG file: the first --photo goes with the first "
                '--point and so on ("" for a point without one)'
            ),
        ),
    ] = None,
    stage: StageOption = None,
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    from ..models.errors import InvalidInput
    from ..services.needs import PointInput, record_answer

    photos = list(photo or [])
    if len(photos) > len(point or []):
        raise InvalidInput(
            "{photos} --photo for {points} --point: each photo goes with the problem point in the same place",
            field="photo",
            photos=len(photos),
            points=len(point or []),
        )
    points = []
    for index, text in enumerate(point or []):
        parts = text.replace("，", ",").split(",", 3)
        if len(parts) < 3:
            raise InvalidInput(
                "write --point as category,latitude,longitude[,note] (got '{value}')",
                field="point",
                value=text[:40],
            )
        points.append(
            PointInput(
                category=parts[0],
                lat=parts[1],
                lng=parts[2],
                note=parts[3] if len(parts) > 3 else "",
                datum="wgs84" if wgs84 else "gcj02",
                # checked like an upload on the web (a JPEG or PNG by name and content)
                photo_path=photos[index] if index < len(photos) and photos[index] else None,
            )
        )
    application = make_app(db, now)
    receipt = record_answer(
        application,
        project_number(project_id),
        household,
        need,
        comment=comment,
        points=points,
        by=by,
        stage=stage,
    )
    if json_out:
        print_json(receipt.model_dump(mode="json"))
        return
    lang = cli_language()
    values = {
        "count": len(receipt.items),
        "points": receipt.points,
        "project": receipt.project_id,
        "stage": receipt.stage_name if lang == "zh" else receipt.stage_name_en or receipt.stage_name,
    }
    if receipt.replaced:
        say(
            "recorded the paper answer ({count} needs, {points} problem points) for {stage} of project "
            "#{project}; it replaces the household's earlier answer",
            **values,
        )
    else:
        say(
            "recorded the paper answer ({count} needs, {points} problem points) for {stage} of project "
            "#{project}",
            **values,
        )


@needs_app.command(
    "tally",
    help=T("The survey's tally: each menu item, its category, the households choosing it and their share."),
)
@handle_errors
def needs_tally_command(
    project_id: ProjectArg,
    stage: StageOption = None,
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    from rich.table import Table
    from rich.text import Text

    from ..i18n import translator
    from ..services.needs_tally import needs_tally

    application = make_app(db, now)
    view = needs_tally(application, project_number(project_id), stage=stage)
    if json_out:
        print_json(view.model_dump(mode="json"))
        return
    lang = cli_language()
    _ = translator(lang)
    zh = lang == "zh"
    stage_name = view.stage_name if zh else view.stage_name_en or view.stage_name
    table = Table(title=_("Needs survey: {stage}", stage=stage_name))
    for column in (_("Item"), _("Category"), _("Households"), _("Share")):
        table.add_column(column)
    for row in view.rows:
        table.add_row(
            Text(row.name),
            row.category_zh if zh else row.category_en,
            str(row.households),
            f"{row.share:.0%}",
        )
    console.print(table)
    say(
        "households answering: {responses} ({paper} on paper); items chosen: {items}; "
        "problem points: {points}",
        responses=view.responses,
        paper=view.paper,
        items=view.items_chosen,
        points=view.points,
    )
    say("survey open: {open}", open=_("yes") if view.open else _("no"))
