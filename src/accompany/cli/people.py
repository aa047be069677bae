"""`accompany` CLI — the people directory and their sign-in (the operator's side:
invites, passwords, API tokens, deactivation)."""

from __future__ import annotations

import sys
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

people_app = typer.Typer(help="The people directory and their sign-in.", no_args_is_help=True)
PersonId = Annotated[str, typer.Argument(help="person id (from the directory)")]


def _operator(application) -> str:  # type: ignore[no-untyped-def]
    """Who acts at the server: "operator"; the audit log records the OS user beside it."""
    return "operator"


@people_app.command("load")
@handle_errors
def people_load(
    file: Annotated[Path, typer.Argument(help="directory YAML (see config/people.example.yaml)")],
    deactivate_missing: Annotated[
        bool,
        typer.Option(
            "--deactivate-missing",
            help="deactivate active people the file leaves out (their sign-ins end); "
            "without it such a file is refused",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Load (insert or update) the organisation and people from a YAML file."""
    from ..directory import read_directory
    from ..services.commands import load_directory

    directory = read_directory(file)
    application = make_app(db)
    counts = load_directory(
        application, directory, deactivate_missing=deactivate_missing, by=_operator(application)
    )
    console.print(
        f"loaded {len(directory.people)} people from {file}: {counts['added']} added, "
        f"{counts['updated']} updated, {counts['unchanged']} unchanged"
        + (f", {counts['deactivated']} deactivated" if counts["deactivated"] else "")
    )


@people_app.command("list")
@handle_errors
def people_list(db: DbOption = None, json_out: JsonOption = False) -> None:
    """List the people in the directory (and whether they can sign in)."""
    from rich.table import Table

    application = make_app(db)
    with application.reader() as uow:
        people = uow.people.all()
        with_password = uow.accounts.has_password([p.id for p in people])
    if json_out:
        print_json([{**p.model_dump(mode="json"), "can_sign_in": p.id in with_password} for p in people])
        return
    table = Table(title="People")
    for column in ("id", "name", "role", "district", "streets", "team", "active", "password"):
        table.add_column(column)
    for p in people:
        table.add_row(
            p.id,
            p.name,
            p.role.value,
            p.district,
            ",".join(p.streets) or "*",
            p.team or "",
            "yes" if p.active else "no",
            "set" if p.id in with_password else "—",
        )
    console.print(table, markup=False)


@people_app.command("invite")
@handle_errors
def people_invite(person: PersonId, db: DbOption = None) -> None:
    """Print a one-time link where the person sets their password (it expires after
    ACCOMPANY_INVITE_HOURS, 72 by default). Send it to them yourself."""
    from ..models.deadlines import LOCAL_TZ
    from ..services.accounts import invite

    application = make_app(db)
    result = invite(application, person, by=_operator(application))
    expires = result.expires_at.astimezone(LOCAL_TZ)
    console.print(
        f"invite for {result.person.name} ({result.person.id}), valid until {expires:%Y-%m-%d %H:%M}:"
    )
    # the link alone on its own line, unwrapped, for copying
    sys.stdout.write(result.url + "\n")


@people_app.command("set-password")
@handle_errors
def people_set_password(
    person: PersonId,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input (for scripts)")
    ] = False,
    db: DbOption = None,
) -> None:
    """Set a person's password (the operator, on the server). Asked twice without
    echo, or read from standard input; never given on the command line, where other
    users could see it."""
    from ..models.errors import InvalidInput
    from ..services.accounts import set_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("new password", hide_input=True)
        again = typer.prompt("again", hide_input=True)
        if password != again:
            raise InvalidInput("the two passwords differ; nothing changed")
    application = make_app(db)
    who = set_password(application, person, password, by=_operator(application))
    console.print(f"password set for {who.name} ({who.id}); their open sessions ended")


@people_app.command("token")
@handle_errors
def people_token(
    person: PersonId,
    label: Annotated[str, typer.Option("--label", help="what the token is for, e.g. 区级看板")] = "api",
    db: DbOption = None,
) -> None:
    """Make a personal API token (shown once; only its hash is kept). It has the
    person's own permissions: send it as `Authorization: Bearer TOKEN`."""
    from ..services.accounts import create_api_token

    application = make_app(db)
    issued = create_api_token(application, person, label, by=_operator(application))
    console.print(
        f"API token {issued.id} for {issued.person.name} ({issued.person.id}) — shown once, store it now:"
    )
    sys.stdout.write(issued.token + "\n")


@people_app.command("tokens")
@handle_errors
def people_tokens(person: PersonId, db: DbOption = None, json_out: JsonOption = False) -> None:
    """A person's API tokens (never the tokens themselves)."""
    from rich.table import Table

    from ..services.accounts import list_api_tokens
    from ..services.queries import local

    application = make_app(db)
    rows = list_api_tokens(application, person)
    if json_out:
        print_json(rows)
        return
    table = Table(title=f"API tokens of {person}")
    for column in ("id", "label", "created", "last used", "revoked"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            *(
                str(r["id"]),
                str(r["label"]),
                *(
                    local(r[k]).strftime("%Y-%m-%d %H:%M") if r[k] else "—"  # type: ignore[arg-type,union-attr]
                    for k in ("created_at", "last_used_at", "revoked_at")
                ),
            )
        )
    console.print(table, markup=False)


@people_app.command("revoke-token")
@handle_errors
def people_revoke_token(
    person: PersonId,
    token_id: Annotated[int, typer.Argument(help="token id (see `people tokens`)")],
    db: DbOption = None,
) -> None:
    """Revoke an API token at once."""
    from ..services.accounts import revoke_api_token

    application = make_app(db)
    revoke_api_token(application, person, token_id, by=_operator(application))
    console.print(f"API token {token_id} of {person} revoked")


@people_app.command("deactivate")
@handle_errors
def people_deactivate(person: PersonId, db: DbOption = None) -> None:
    """Deactivate a person: they can no longer act, and their web sessions and API
    tokens end at once."""
    from ..services.commands import set_person_active

    application = make_app(db)
    changed = set_person_active(application, person, False, by=_operator(application))
    console.print(
        f"{person} deactivated; sessions and API tokens ended" if changed else f"{person} was not active"
    )


@people_app.command("activate")
@handle_errors
def people_activate(person: PersonId, db: DbOption = None) -> None:
    """Reactivate a person (they sign in again with their password; old sessions and
    tokens stay ended)."""
    from ..services.commands import set_person_active

    application = make_app(db)
    changed = set_person_active(application, person, True, by=_operator(application))
    console.print(f"{person} is active again" if changed else f"{person} was already active")
