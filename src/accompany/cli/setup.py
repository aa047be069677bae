"""`accompany` CLI — set-up: the database schema."""

from __future__ import annotations

from typing import Annotated

import typer

from ..labels import N_
from .common import (
    DbOption,
    handle_errors,
    load_settings,
    make_app,
    say,
)
from .help import T

db_app = typer.Typer(help=T("The application database schema."), no_args_is_help=True)


@handle_errors
def init(db: DbOption = None) -> None:
    from ..db.engine import redact_url

    application = make_app(db)
    from ..db.schema import current_revision

    say(
        "database {url} at schema revision {revision}",
        url=redact_url(application.engine.url),
        revision=current_revision(application.engine),
    )


@db_app.command("upgrade", help=T("Upgrade the schema to the newest revision (Alembic)."))
@handle_errors
def db_upgrade(db: DbOption = None) -> None:
    from ..db.engine import make_engine, redact_url
    from ..db.schema import restore_append_only, upgrade

    url = db or load_settings().resolved_database_url()
    engine = make_engine(url)
    before, after = upgrade(engine)
    if before:
        say("{url}: {before} → {after}", url=redact_url(engine.url), before=before, after=after)
    else:
        say("{url}: empty → {after}", url=redact_url(engine.url), after=after)
    # the event log's append-only triggers: re-created where someone dropped them
    with engine.begin() as connection:
        restored = restore_append_only(connection)
    for trigger, problem in restored:
        if problem == "disabled":
            say("append-only trigger {trigger} was disabled: enabled again", style="magenta", trigger=trigger)
        else:
            say("append-only trigger {trigger} was missing: re-created", style="magenta", trigger=trigger)


@db_app.command(
    "grants",
    help=T(
        "Print the SQL that gives the application's PostgreSQL role what it needs: read and write on "
        "the tables, only INSERT and SELECT on the event log (run it as the schema owner after each "
        "upgrade)."
    ),
)
@handle_errors
def db_grants(
    role: Annotated[str, typer.Argument(help=T("the application's database role"))],
    schema: Annotated[
        str | None, typer.Option("--schema", help=T("the schema (default: public)"), show_default=False)
    ] = None,
) -> None:
    from ..db.schema import grant_statements
    from ..models.errors import InvalidInput

    try:
        statements = grant_statements(role, schema)
    except ValueError:
        raise InvalidInput(
            "'{name}' is not a plain role or schema name (letters, digits and _)", name=(schema or role)[:64]
        ) from None
    import sys

    # plain lines (never wrapped): made to be piped into psql
    sys.stdout.write("".join(f"{statement};\n" for statement in statements))


@db_app.command("current", help=T("Show the schema revision of the database and of this code."))
@handle_errors
def db_current(db: DbOption = None) -> None:
    from ..db.engine import make_engine, redact_url
    from ..db.schema import current_revision
    from ..migrations import HEAD

    url = db or load_settings().resolved_database_url()
    engine = make_engine(url)
    current = current_revision(engine)
    if current is None:
        message = N_("{url}: no schema yet (empty); code head {head} (needs accompany db upgrade)")
    elif current == HEAD:
        message = N_("{url}: revision {current}; code head {head} (up to date)")
    else:
        message = N_("{url}: revision {current}; code head {head} (needs accompany db upgrade)")
    say(message, url=redact_url(engine.url), current=current, head=HEAD)
