"""`accompany` CLI — the people directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import (
    DbOption,
    JsonOption,
    console,
    handle_errors,
    make_app,
    print_json,
)

people_app = typer.Typer(help="The people directory.", no_args_is_help=True)


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
