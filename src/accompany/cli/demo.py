"""`accompany` CLI — the demo."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import (
    console,
    handle_errors,
)


@handle_errors
def demo(
    db: Annotated[
        str | None, typer.Option("--db", help="database URL (default: a throwaway SQLite file)")
    ] = None,
    prefect: Annotated[
        bool,
        typer.Option("--prefect/--no-prefect", help="drive the lifecycle through the Prefect flows"),
    ] = True,
    keep: Annotated[bool, typer.Option("--keep", help="keep the throwaway database")] = False,
) -> None:
    """Run a whole project lifecycle on a throwaway database with a simulated clock."""
    from ..demo import run_demo

    run_demo(database_url=db, use_prefect=prefect, keep=keep, console=console)
