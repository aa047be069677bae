"""`accompany` CLI — evidence files."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer

from .common import DbOption, handle_errors, make_app, say
from .help import T

attachment_app = typer.Typer(help=T("Evidence files attached to stages."), no_args_is_help=True)


@attachment_app.command(
    "get", help=T("Save an evidence file (its id is shown by `project show`) to a file or folder.")
)
@handle_errors
def attachment_get(
    attachment_id: Annotated[str, typer.Argument(help=T("attachment id"))],
    out: Annotated[Path, typer.Option("--out", help=T("file or folder to write it to"))] = Path("."),
    db: DbOption = None,
) -> None:
    from ..models.errors import InvalidInput
    from ..models.files import safe_filename
    from ..services.queries import attachment_by_id
    from .common import MAX_ID

    if not attachment_id.isascii() or not attachment_id.isdigit() or not 0 < int(attachment_id) <= MAX_ID:
        raise InvalidInput("'{value}' is not an attachment id (a number like 12)", value=attachment_id[:30])
    application = make_app(db)
    filename, stored = attachment_by_id(application, int(attachment_id))
    target = out / safe_filename(filename) if out.is_dir() else out
    if not target.parent.is_dir():
        raise InvalidInput("--out: folder {path} does not exist", path=str(target.parent))
    if target.exists() and not target.is_file():
        raise InvalidInput("--out: {path} is not a regular file", path=str(target))
    shutil.copyfile(stored, target)
    say("saved {name} to {target}", name=filename, target=target)
