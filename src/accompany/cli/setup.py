"""`accompany` CLI — set-up: the database schema."""

from __future__ import annotations

import typer

from .common import (
    DbOption,
    console,
    handle_errors,
    load_settings,
    make_app,
)

db_app = typer.Typer(help="The application database schema.", no_args_is_help=True)


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
