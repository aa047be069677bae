"""`accompany` CLI — evidence files."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer

from .common import By, DbOption, JsonOption, NowOption, handle_errors, make_app, print_json, say
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

    number = _attachment_number(attachment_id)
    application = make_app(db)
    filename, stored = attachment_by_id(application, number)
    target = out / safe_filename(filename) if out.is_dir() else out
    if not target.parent.is_dir():
        raise InvalidInput("--out: folder {path} does not exist", path=str(target.parent))
    if target.exists() and not target.is_file():
        raise InvalidInput("--out: {path} is not a regular file", path=str(target))
    shutil.copyfile(stored, target)
    say("saved {name} to {target}", name=filename, target=target)


def _attachment_number(text: str) -> int:
    from ..models.errors import InvalidInput
    from .common import MAX_ID

    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= MAX_ID:
        raise InvalidInput("'{value}' is not an attachment id (a number like 12)", value=text[:30])
    return int(text)


def _mark(attachment_id: str, by: str, db: str | None, now: str | None, json_out: bool, public: bool) -> None:
    from ..services.public_documents import set_document_public

    number = _attachment_number(attachment_id)
    application = make_app(db, now)
    receipt = set_document_public(application, number, by=by, public=public)
    if json_out:
        print_json(receipt.model_dump(mode="json"))
    elif not receipt.changed:
        if public:
            say("{name} (#{attachment}) was already public", name=receipt.filename, attachment=number)
        else:
            say("{name} (#{attachment}) was not public", name=receipt.filename, attachment=number)
    elif public:
        say(
            "{name} (#{attachment}) is public on the page of project #{project}",
            name=receipt.filename,
            attachment=number,
            project=receipt.project_id,
        )
    else:
        say("{name} (#{attachment}) is no longer public", name=receipt.filename, attachment=number)


@attachment_app.command(
    "publish",
    help=T(
        "Make an evidence file public: residents see and download it on the project's public page "
        "(its planner or a coordinator of its street)."
    ),
)
@handle_errors
def attachment_publish(
    attachment_id: Annotated[str, typer.Argument(help=T("attachment id"))],
    by: By,
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    _mark(attachment_id, by, db, now, json_out, True)


@attachment_app.command("unpublish", help=T("Make a public evidence file private again."))
@handle_errors
def attachment_unpublish(
    attachment_id: Annotated[str, typer.Argument(help=T("attachment id"))],
    by: By,
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    _mark(attachment_id, by, db, now, json_out, False)
